# shellcheck shell=bash disable=SC2034
# CXL-like capacity expander: a slower, larger CPU-less node present at boot.
TOPO_DESC="node0: 2 CPUs + 1 GiB DRAM (100 ns, 20000 MB/s); node1: CPU-less 2 GiB boot-time RAM (250 ns, 8000 MB/s); SLIT 10/20"
TOPO_SMP="2,sockets=1,cores=2,threads=1"
TOPO_QEMU=(
  -machine pc,hmat=on -m 3G
  -object memory-backend-ram,id=m0,size=1G
  -object memory-backend-ram,id=m1,size=2G
  -numa node,nodeid=0,cpus=0-1,memdev=m0
  -numa node,nodeid=1,memdev=m1,initiator=0
  -numa dist,src=0,dst=1,val=20
  -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=100
  -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=20000M
  -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,latency=250
  -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=8000M
)
TOPO_APPEND=""
TOPO_MODULES=()
TOPO_SETUP=""
