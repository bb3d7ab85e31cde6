// ipfix_read: the tests' libfixbuf collector. Reads IPFIX files (a file
// tunprobe wrote, or a TCP stream a test collector saved) and prints one JSON
// object per data record: "_template" and "_domain", then every field by its
// element name (numbers as numbers, addresses and the rest as strings).
//
//     ipfix_read [--pen N] FILE...
//
// Exit 1 when a file cannot be read to its end.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "probe/records/ipfix_reader.hpp"
#include "probe/base/json_writer.hpp"

namespace {

std::string quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      q += fmt::format("\\u{:04x}", c);
      continue;
    }
    q += c;
  }
  return q + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t pen = tunprobe::ipfix::kDefaultPen;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--pen" && i + 1 < argc) pen = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    else files.push_back(a);
  }
  if (files.empty()) {
    std::fputs("usage: ipfix_read [--pen N] FILE...\n", stderr);
    return 2;
  }
  int rc = 0;
  std::vector<tunprobe::ipfix::FieldValue> fields;
  for (const std::string& f : files) {
    tunprobe::ipfix::FileReader r(f, pen);
    uint16_t tid = 0;
    uint32_t domain = 0;
    std::string line;
    while (r.next(fields, tid, domain)) {
      line.clear();
      {
        tunprobe::JsonObject o(line);
        o.num("_template", tid);
        o.num("_domain", domain);
        for (const auto& v : fields) {
          if (v.is_number) o.num(v.name, v.number);
          else o.raw(v.name, quote(v.text));
        }
      }
      line += '\n';
      std::fputs(line.c_str(), stdout);
    }
    if (!r.ok()) {
      std::fprintf(stderr, "ipfix_read: %s: %s\n", f.c_str(), r.error().c_str());
      rc = 1;
    }
  }
  return rc;
}
