// Binary encoding of protocol messages (messages.h).
//
// Layout, all integers little-endian:
//   offset 0  u32  magic "SPCT" (0x54435053)
//   offset 4  u16  format version (kFormatVersion)
//   offset 6  u16  message type (MessageType)
//   offset 8  u64  payload length in bytes
//   offset 16 u32  CRC-32 (IEEE 802.3, the zlib polynomial) of the payload
//   offset 20 ...  payload: the message's fields in declaration order; vectors and strings are a u32 count
//                  followed by their elements; enums are one byte.
// The CRC catches every single-bit flip and every burst of up to 32 bits in the payload; the header fields are
// each checked on their own (magic, version, known type, length equal to what the buffer holds).
//
// Thread safety: free functions without shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/protocol/messages.h"

namespace spct::protocol {

inline constexpr uint32_t kMagic = 0x54435053;  // "SPCT" when read as little-endian bytes
// 2: the end markers of generation and scoring became Control kinds (kEndGeneration, kEndScoring) instead of an
// empty PromptBatch and RewardRequest, and RewardResult gained the GRM's critiques and the rewards' info, so a
// build of version 1 would misread both; a mixed job fails at its first message instead.
// 3: RewardRequest carries only what a reward worker reads (step, prompt id, each completion's tokens and finish
// reason, prompt text, answer): no log-probs, no policy version. Every other type is laid out as in version 2, so
// version-2 frames of those still decode (the pending batch an asynchronous run's checkpoint saved,
// orchestrator/train/pending_batch.h); a version-2 RewardRequest does not.
// 4: rank 0 off the data path (messages.h, steps 2-5): PromptBatch ends with a chunk's routing (the reward rank
// and the prompt texts), and the GroupSummary and ForwardList types are new. Version 2 and 3 frames of the older
// types still decode (a PromptBatch without routing), so a pending batch saved by an earlier build still loads.
inline constexpr uint16_t kFormatVersion = 4;
inline constexpr size_t kHeaderBytes = 20;

std::vector<uint8_t> encode(const Message& message);

// Decodes one whole buffer produced by encode(). Throws spct::InputError naming the message type (when the
// header got that far), the field and the byte offset for: a short header, a wrong magic, a format version
// other than kFormatVersion (or 2 or 3 for a type those had, except a version-2 RewardRequest), an unknown type, a
// payload length that disagrees with the buffer, a CRC mismatch, a field running past the payload, an invalid enum
// value, or bytes left over after the last field.
Message decode(std::span<const uint8_t> bytes);

// Throws spct::InputError "expected a <wanted> message, got a <got>".
[[noreturn]] void throw_unexpected_type(MessageType got, MessageType wanted);

// decode(), then checks the type: throws spct::InputError naming both types when the message is not a T.
template <class T>
T decode_as(std::span<const uint8_t> bytes) {
  Message message = decode(bytes);
  if (T* value = std::get_if<T>(&message)) return std::move(*value);
  throw_unexpected_type(type_of(message), type_of(Message{T{}}));
}

// The type named in a buffer's header, without decoding or checking the payload. Throws spct::InputError if the
// header is short or its magic is wrong.
MessageType peek_type(std::span<const uint8_t> bytes);

}  // namespace spct::protocol
