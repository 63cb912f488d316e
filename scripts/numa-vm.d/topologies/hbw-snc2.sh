# shellcheck shell=bash disable=SC2034
# Xeon Phi SNC-2: two CPU/DRAM nodes, each with its own near HBM node.
TOPO_DESC="node0/node1: 1 CPU + 512 MiB DRAM each; node2/node3: 256 MiB HBM near node0/node1 (80000 MB/s local, 10000 remote); SLIT 10/21/31/41"
TOPO_SMP="2,sockets=2,cores=1,threads=1"
TOPO_QEMU=(
  -machine pc,hmat=on -m 1536M
  -object memory-backend-ram,id=m0,size=512M
  -object memory-backend-ram,id=m1,size=512M
  -object memory-backend-ram,id=m2,size=256M
  -object memory-backend-ram,id=m3,size=256M
  -numa node,nodeid=0,cpus=0,memdev=m0
  -numa node,nodeid=1,cpus=1,memdev=m1
  -numa node,nodeid=2,memdev=m2,initiator=0
  -numa node,nodeid=3,memdev=m3,initiator=1
  -numa dist,src=0,dst=1,val=21 -numa dist,src=0,dst=2,val=31 -numa dist,src=0,dst=3,val=41
  -numa dist,src=1,dst=2,val=41 -numa dist,src=1,dst=3,val=31 -numa dist,src=2,dst=3,val=41
  # initiator 0 (CPU 0)
  -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=100
  -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=20000M
  -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,latency=160
  -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=10000M
  -numa hmat-lb,initiator=0,target=2,hierarchy=memory,data-type=access-latency,latency=120
  -numa hmat-lb,initiator=0,target=2,hierarchy=memory,data-type=access-bandwidth,bandwidth=80000M
  -numa hmat-lb,initiator=0,target=3,hierarchy=memory,data-type=access-latency,latency=200
  -numa hmat-lb,initiator=0,target=3,hierarchy=memory,data-type=access-bandwidth,bandwidth=10000M
  # initiator 1 (CPU 1)
  -numa hmat-lb,initiator=1,target=0,hierarchy=memory,data-type=access-latency,latency=160
  -numa hmat-lb,initiator=1,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=10000M
  -numa hmat-lb,initiator=1,target=1,hierarchy=memory,data-type=access-latency,latency=100
  -numa hmat-lb,initiator=1,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=20000M
  -numa hmat-lb,initiator=1,target=2,hierarchy=memory,data-type=access-latency,latency=200
  -numa hmat-lb,initiator=1,target=2,hierarchy=memory,data-type=access-bandwidth,bandwidth=10000M
  -numa hmat-lb,initiator=1,target=3,hierarchy=memory,data-type=access-latency,latency=120
  -numa hmat-lb,initiator=1,target=3,hierarchy=memory,data-type=access-bandwidth,bandwidth=80000M
)
TOPO_APPEND=""
TOPO_MODULES=()
TOPO_SETUP=""
