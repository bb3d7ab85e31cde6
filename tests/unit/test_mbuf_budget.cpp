// The mbuf pool's arithmetic (probe/engine/mbuf_budget.hpp): what each lcore,
// queue and ring can hold at once, and the memory it takes without
// hugepages.
#include <catch2/catch.hpp>

#include "probe/engine/mbuf_budget.hpp"

using tunprobe::MbufDemand;
using tunprobe::MbufUsers;

TEST_CASE("16 queues of 1024 descriptors (the paper's 16 channels), rss", "[mbufs]") {
  MbufUsers u;
  u.rx_queues = 16;
  u.rx_descriptors = 1024;
  u.lcores = 17;  // 16 workers + main
  u.cache_size = 256;
  u.workers = 16;
  u.burst = 32;
  const MbufDemand d = tunprobe::mbuf_demand(u);
  CHECK(d.rx_descriptors == 16384);
  CHECK(d.ring_slots == 0);
  CHECK(d.cache_slots == 17 * 384);
  CHECK(d.burst_slots == 16 * 32);
  CHECK(d.total() == 16384 + 6528 + 512);
  CHECK(d.total() > 16383);  // the old fixed pool could not even arm the queues
}

TEST_CASE("crc rings: the pool holds what the rings can", "[mbufs]") {
  MbufUsers u;
  u.rx_queues = 1;
  u.rx_descriptors = 1024;
  u.rings = 8;
  u.ring_capacity = tunprobe::mbuf_ring_size(8) - 1;
  u.lcores = 10;  // 8 workers, the dispatcher, main
  u.cache_size = 256;
  u.pollers = 1;
  u.workers = 8;
  u.burst = 32;
  const MbufDemand d = tunprobe::mbuf_demand(u);
  CHECK(d.ring_slots == 8 * 2047);
  CHECK(d.total() == 1024 + 8 * 2047 + 10 * 384 + 9 * 32);
}

TEST_CASE("worker ring sizes", "[mbufs]") {
  CHECK(tunprobe::mbuf_ring_size(1) == 4096);
  CHECK(tunprobe::mbuf_ring_size(4) == 4096);
  CHECK(tunprobe::mbuf_ring_size(5) == 2048);
  CHECK(tunprobe::mbuf_ring_size(8) == 2048);
  CHECK(tunprobe::mbuf_ring_size(16) == 1024);
  CHECK(tunprobe::mbuf_ring_size(64) == 1024);
}

TEST_CASE("pool memory: objects do not cross 4 KiB pages", "[mbufs]") {
  CHECK(tunprobe::pool_object_bytes(10, 2432, 4096) == 10 * 4096);  // one 2.4 KB mbuf per page
  CHECK(tunprobe::pool_object_bytes(10, 2000, 4096) == 5 * 4096);   // two per page
  CHECK(tunprobe::pool_object_bytes(11, 2000, 4096) == 6 * 4096);
  CHECK(tunprobe::pool_object_bytes(10, 2432, 0) == 24320);         // hugepages: packed
  CHECK(tunprobe::eal_memory_mb(20u << 20, 1u << 20, 1) == 22);     // rounded up
  CHECK(tunprobe::eal_memory_mb(20u << 20, 1u << 20, 0) == 21);
}
