# shellcheck shell=bash disable=SC2034
# Classic two-socket machine: each node has one CPU and its own DRAM.
TOPO_DESC="node0: CPU 0 + 1 GiB; node1: CPU 1 + 1 GiB; SLIT 10/21; HMAT local 100 ns/20000 MB/s, remote 160 ns/10000 MB/s"
TOPO_SMP="2,sockets=2,cores=1,threads=1"
TOPO_QEMU=(
  -machine pc,hmat=on -m 2G
  -object memory-backend-ram,id=m0,size=1G
  -object memory-backend-ram,id=m1,size=1G
  -numa node,nodeid=0,cpus=0,memdev=m0
  -numa node,nodeid=1,cpus=1,memdev=m1
  -numa dist,src=0,dst=1,val=21
  -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=100
  -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=20000M
  -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,latency=160
  -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=10000M
  -numa hmat-lb,initiator=1,target=0,hierarchy=memory,data-type=access-latency,latency=160
  -numa hmat-lb,initiator=1,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=10000M
  -numa hmat-lb,initiator=1,target=1,hierarchy=memory,data-type=access-latency,latency=100
  -numa hmat-lb,initiator=1,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=20000M
)
TOPO_APPEND=""
TOPO_MODULES=()
TOPO_SETUP=""
