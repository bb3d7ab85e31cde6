// libFuzzer target for the report's readers: any bytes, as an IPFIX file
// (when they start with version 10) or as JSON lines (otherwise: format
// detection decides, as for a user's file). Every record or error must come
// back without a crash, a hang or undefined behaviour.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "probe/report/source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tunprobe::report;
  // The readers read files: a private temporary one per process.
  static const std::string path = "/tmp/tunprobe-fuzz-report." + std::to_string(getpid());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  for (Format format : {Format::detect, Format::ipfix, Format::json}) {
    SourceError err;
    auto src = open_source(InputFile{path, format}, SourceOptions{}, err);
    if (!src) continue;
    ReportFlow flow;
    for (unsigned i = 0; i < 100000; ++i) {
      const RecordSource::Next n = src->next(flow);
      if (n == RecordSource::Next::end) break;
      if (n == RecordSource::Next::error) (void)src->error().message();
    }
  }
  return 0;
}
