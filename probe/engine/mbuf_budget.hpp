// How many mbufs a run can hold at once, so that its pool never runs dry:
// a NIC then never counts rx_nombuf for want of an mbuf, and the capture
// reader never waits for one (frames above the data room, jumbo frames,
// take one mbuf per 2 KiB and may make it wait; counted).
//
//   mbufs = rx_descriptors + ring_slots + cache_slots + burst_slots
//
//   rx_descriptors  RX queues on the pool's socket x descriptors per queue:
//                   a NIC keeps every descriptor armed with an mbuf
//   ring_slots      dispatcher/reader -> worker rings x their capacity
//                   (crc dispatch and capture files; 0 for rss on ports)
//   cache_slots     lcores x the mempool cache's flush threshold (1.5 x
//                   its size): each lcore's cache can keep that many
//   burst_slots     (pollers + workers) x burst: the burst each lcore has
//                   in hand (a poller's is being split over the rings)
//
// One pool per NUMA socket that has ports (a port on SOCKET_ID_ANY counts
// as the main lcore's socket); rings, caches and bursts are budgeted in
// every pool, since in the worst case all of them hold mbufs of one pool.
// Capture files have one pool, on the reader's socket.
//
// Memory: without hugepages (files and vdevs: EAL's -m, 4 KiB pages) an
// mbuf object may not cross a page, so a 2.4 KB mbuf takes a page of its
// own; the EAL memory of such a run is sized from the pools, the rings and
// a fixed allowance for DPDK itself instead of a fixed 512 MB.
#pragma once

#include <cstdint>

namespace tunprobe {

struct MbufDemand {
  uint64_t rx_descriptors = 0;
  uint64_t ring_slots = 0;
  uint64_t cache_slots = 0;
  uint64_t burst_slots = 0;
  uint64_t total() const noexcept { return rx_descriptors + ring_slots + cache_slots + burst_slots; }
};

struct MbufUsers {
  uint64_t rx_queues = 0;      // on this pool's socket
  uint32_t rx_descriptors = 0; // per queue
  uint32_t rings = 0;          // mbuf rings to workers
  uint32_t ring_capacity = 0;  // mbufs one ring holds
  uint32_t lcores = 0;         // every lcore that allocates or frees mbufs (main included)
  uint32_t cache_size = 0;     // the pool's per-lcore cache
  uint32_t pollers = 0;        // dispatcher / reader lcores, and rss workers polling ports (as workers)
  uint32_t workers = 0;
  uint32_t burst = 0;
};

constexpr MbufDemand mbuf_demand(const MbufUsers& u) noexcept {
  MbufDemand d;
  d.rx_descriptors = u.rx_queues * u.rx_descriptors;
  d.ring_slots = uint64_t{u.rings} * u.ring_capacity;
  d.cache_slots = uint64_t{u.lcores} * (u.cache_size * 3 / 2);
  d.burst_slots = uint64_t{u.pollers + u.workers} * u.burst;
  return d;
}

// The size of a dispatcher/reader -> worker ring (a power of two): 4096
// slots for up to 4 workers, fewer beyond, so that all rings together hold
// 16384 mbufs up to 16 workers; never below 1024.
constexpr uint32_t mbuf_ring_size(uint32_t workers) noexcept {
  uint32_t size = 4096;
  while (size > 1024 && uint64_t{size} * workers > 16384) size /= 2;
  return size;
}

// Bytes that `n` objects of `obj_size` bytes take when no object may cross
// a page of `page_size` bytes (0: no such rule, hugepage-backed memory).
constexpr uint64_t pool_object_bytes(uint64_t n, uint64_t obj_size, uint64_t page_size) noexcept {
  if (page_size == 0 || obj_size > page_size) return n * obj_size;
  const uint64_t per_page = page_size / obj_size;
  return (n + per_page - 1) / per_page * page_size;
}

// EAL memory (-m, MB) for a run without hugepages: the pools' objects, the
// rings' slots, and `fixed_bytes` for DPDK itself (mempool headers with
// their per-lcore caches, the pools' own rings, ethdev and driver state),
// rounded up to whole MB.
constexpr uint64_t eal_memory_mb(uint64_t pool_bytes, uint64_t ring_bytes, uint64_t fixed_bytes) noexcept {
  constexpr uint64_t mb = 1u << 20;
  return (pool_bytes + ring_bytes + fixed_bytes + mb - 1) / mb;
}

}  // namespace tunprobe
