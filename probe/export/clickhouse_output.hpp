// -o clickhouse://HOST:PORT/DATABASE.TABLE: finished records inserted into
// a ClickHouse table (`tunprobe clickhouse-schema`) over its HTTP
// interface, with libcurl's multi interface so that the exporter thread
// never waits on the server.
//
//   - records are encoded as RowBinary rows (probe/records/
//     clickhouse_columns.hpp) into batches: one insert per ?batch= records
//     or when the oldest is ?batch_ms= old;
//   - one insert is in flight at a time; a batch counts as delivered only
//     when the server answered 200 to its insert; any other outcome (no
//     connection, a reset, a timeout, an error answer) keeps it and tries
//     again, 0.5 s doubling to 30 s;
//   - at most --export-buffer records are held; more are dropped and
//     counted; at exit, what is still held once the server went 10 s without
//     taking an insert is failed;
//   - written = delivered + failed + dropped (+ buffered while running);
//   - a retried batch is sent byte for byte again, with its exportBatch id:
//     replicated tables deduplicate it; on plain MergeTree a retry whose
//     first answer was lost shows as two batches with one id.
//   - inserts into a Distributed table are synchronous
//     (insert_distributed_sync=1): the answer means the shards have it.
#pragma once

#include <memory>

#include "probe/decode/decode_config.hpp"
#include "probe/export/output_spec.hpp"
#include "probe/export/outputs.hpp"

namespace tunprobe {

// Checks the table at start when the server answers: a missing table, a
// column that differs from tunprobe's, or a refused login stop the run
// with one line (StartupError). A server that does not answer is not an
// error: records are held for it.
std::unique_ptr<FlowOutput> make_clickhouse_output(const OutputSpec& spec, const DecodeConfig& cfg);

}  // namespace tunprobe
