#include "orchestrator/train/turn_taking.h"

namespace spct::train {

bool takes_turns(config::TurnTaking setting, bool on_gpu) {
  switch (setting) {
    case config::TurnTaking::kOn: return true;
    case config::TurnTaking::kOff: return false;
    case config::TurnTaking::kAuto: return on_gpu;
  }
  return false;
}

}  // namespace spct::train
