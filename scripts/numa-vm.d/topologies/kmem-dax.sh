# shellcheck shell=bash disable=SC2034
# As cxl, but node1 arrives the real KMEM DAX way: legacy PMEM (memmap=!) ->
# devdax dax0.0 -> bound to the kmem driver -> hot-plugged as ZONE_MOVABLE.
TOPO_DESC="as cxl, but node1 (2 GiB) is legacy PMEM turned into devdax dax0.0 and onlined by kmem (ZONE_MOVABLE, own memory tier)"
TOPO_SMP="2,sockets=1,cores=2,threads=1"
TOPO_QEMU=(
  -machine pc,hmat=on,max-ram-below-4g=1G -m 3200M
  -object memory-backend-ram,id=m0,size=1G
  -object memory-backend-ram,id=m1,size=2176M
  -numa node,nodeid=0,cpus=0-1,memdev=m0
  -numa node,nodeid=1,memdev=m1,initiator=0
  -numa dist,src=0,dst=1,val=20
  -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=100
  -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=20000M
  -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,latency=250
  -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=8000M
)
# All of node1's RAM (at 4 GiB, since max-ram-below-4g=1G keeps node0 below
# 4 GiB) becomes an e820 "persistent memory (legacy)" range.
TOPO_APPEND="memmap=2176M!4G"
# Copied into the base initramfs (with their dependencies).
TOPO_MODULES=(nd_e820 nd_pmem dax_pmem device_dax kmem)
# Guest shell code, sourced by the guest init under `set -e` before the
# command; what `daxctl reconfigure-device --mode=system-ram` would do, in sysfs.
TOPO_SETUP='
for m in nd_e820 nd_pmem dax_pmem device_dax kmem; do numa_vm_modprobe "$m"; done
ns=namespace0.0
dax=$(cat /sys/bus/nd/devices/region0/dax_seed)
# Free the raw namespace from nd_pmem so it can be claimed by a dax personality.
if [ -e /sys/bus/nd/devices/$ns/driver ]; then echo $ns > /sys/bus/nd/devices/$ns/driver/unbind; fi
d=/sys/bus/nd/devices/$dax
echo 6e756d61-766d-4b6d-8d65-6d6461783030 > $d/uuid
echo 2097152 > $d/align
echo ram > $d/mode
echo $ns > $d/namespace
echo $dax > /sys/bus/nd/drivers/dax_pmem/bind
dev=$(ls /sys/bus/dax/devices | head -n1)
[ -n "$dev" ]
# Memory that kmem hot-adds is onlined into ZONE_MOVABLE.
echo online_movable > /sys/devices/system/memory/auto_online_blocks
if [ -e /sys/bus/dax/devices/$dev/driver ]; then echo $dev > /sys/bus/dax/devices/$dev/driver/unbind; fi
echo $dev > /sys/bus/dax/drivers/kmem/new_id
[ "$(basename "$(readlink /sys/bus/dax/devices/$dev/driver)")" = kmem ]
echo "numa-vm: $dev (target_node $(cat /sys/bus/dax/devices/$dev/target_node)) onlined by kmem"
'
