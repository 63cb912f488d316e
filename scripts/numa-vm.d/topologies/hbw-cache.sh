# shellcheck shell=bash disable=SC2034
# Xeon Phi "hybrid" mode: the hbw topology plus a memory-side cache in front of node0.
# shellcheck source=hbw.sh
source "$(dirname "${BASH_SOURCE[0]}")/hbw.sh"
TOPO_DESC="as hbw, plus a 256 MiB direct-mapped write-back memory-side cache (64 B lines) in front of node0"
TOPO_QEMU+=(
  -numa hmat-cache,node-id=0,size=256M,level=1,associativity=direct,policy=write-back,line=64
)
