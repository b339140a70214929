#include "core/protocol/messages.h"

namespace spct::protocol {

std::string message_type_name(MessageType type) {
  switch (type) {
    case MessageType::kPromptBatch: return "PromptBatch";
    case MessageType::kGeneratedGroup: return "GeneratedGroup";
    case MessageType::kRewardRequest: return "RewardRequest";
    case MessageType::kRewardResult: return "RewardResult";
    case MessageType::kControl: return "Control";
    case MessageType::kStepReport: return "StepReport";
    case MessageType::kGroupSummary: return "GroupSummary";
    case MessageType::kForwardList: return "ForwardList";
  }
  return "message type " + std::to_string(static_cast<unsigned>(type));
}

std::string describe(const Control& control) {
  const char* kind = "an unknown kind";
  switch (control.kind) {
    case Control::Kind::kStop: kind = "kStop"; break;
    case Control::Kind::kCheckpoint: kind = "kCheckpoint"; break;
    case Control::Kind::kShutdown: kind = "kShutdown"; break;
    case Control::Kind::kStepDone: kind = "kStepDone"; break;
    case Control::Kind::kBeginStep: kind = "kBeginStep"; break;
    case Control::Kind::kEndGeneration: kind = "kEndGeneration"; break;
    case Control::Kind::kEndScoring: kind = "kEndScoring"; break;
  }
  return "Control {" + std::string(kind) + ", step " + std::to_string(control.step) + "}";
}

RewardRequest reward_request_for(const GeneratedGroup& group, std::string prompt_text, std::string answer) {
  RewardRequest request{group.step, group.prompt_id, {}, std::move(prompt_text), std::move(answer)};
  request.completions.reserve(group.completions.size());
  for (const Completion& completion : group.completions) {
    request.completions.push_back({completion.tokens, completion.finish_reason});
  }
  return request;
}

GroupSummary summary_of(const GeneratedGroup& group) {
  GroupSummary summary{group.step, group.prompt_id, group.policy_version, {}};
  summary.completions.reserve(group.completions.size());
  for (const Completion& completion : group.completions) {
    summary.completions.push_back({static_cast<uint32_t>(completion.tokens.size()), completion.finish_reason});
  }
  return summary;
}

MessageType type_of(const Message& message) {
  // The variant's alternatives are listed in MessageType order, starting at 1.
  return static_cast<MessageType>(message.index() + 1);
}

}  // namespace spct::protocol
