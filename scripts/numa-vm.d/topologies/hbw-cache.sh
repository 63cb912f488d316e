# shellcheck shell=bash disable=SC2034
# Xeon Phi "hybrid" mode: as hbw, plus a memory-side cache in front of node0.
TOPO_DESC="as hbw, plus a 256 MiB direct-mapped write-back memory-side cache (64 B lines) in front of node0"
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
  -numa hmat-cache,node-id=0,size=256M,level=1,associativity=direct,policy=write-back,line=64
)
TOPO_APPEND=""
TOPO_MODULES=()
TOPO_SETUP=""
