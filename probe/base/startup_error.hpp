// A start-up failure (a bad option, an output that cannot be opened, a port
// that does not start): one line for the user, exit code 2. Thrown by the
// outputs and the engine before any packet is read; never on the packet path.
#pragma once

#include <string>

namespace tunprobe {

struct StartupError {
  std::string message;
};

}  // namespace tunprobe
