# shellcheck shell=bash disable=SC2034
# Xeon Phi "flat" mode: CPU node of DRAM plus a CPU-less high-bandwidth node.
TOPO_DESC="node0: 2 CPUs + 1 GiB DRAM (100 ns, 20000 MB/s); node1: CPU-less 512 MiB HBM (120 ns, 80000 MB/s); SLIT 10/31"
TOPO_SMP="2,sockets=1,cores=2,threads=1"
TOPO_QEMU=(
  -machine pc,hmat=on -m 1536M
  -object memory-backend-ram,id=m0,size=1G
  -object memory-backend-ram,id=m1,size=512M
  -numa node,nodeid=0,cpus=0-1,memdev=m0
  -numa node,nodeid=1,memdev=m1,initiator=0
  -numa dist,src=0,dst=1,val=31
  -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=100
  -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=20000M
  -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,latency=120
  -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=80000M
)
TOPO_APPEND=""
TOPO_MODULES=()
TOPO_SETUP=""
