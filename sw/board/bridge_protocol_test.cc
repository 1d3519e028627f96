// Tests of the host bridge protocol: CRC, request frames, the burst address rule, responses.
#include "sw/board/bridge_protocol.h"

#include <gtest/gtest.h>

#include <string_view>

#include "sw/core/driver.h"
#include "sw/core/error.h"

namespace tinylpu::bridge {
namespace {

TEST(BridgeProtocolTest, Crc8MatchesTheSmbusCheckValue) {
  // CRC-8/SMBUS of "123456789" is 0xF4 (the catalogue check value of this polynomial).
  constexpr std::string_view kCheck = "123456789";
  std::vector<uint8_t> bytes(kCheck.begin(), kCheck.end());
  EXPECT_EQ(Crc8(bytes), 0xf4);
  EXPECT_EQ(Crc8({}), 0x00);
  // Appending the CRC makes the CRC of the whole zero, which is how a receiver may check it.
  bytes.push_back(0xf4);
  EXPECT_EQ(Crc8(bytes), 0x00);
}

TEST(BridgeProtocolTest, EncodesAWriteFrame) {
  const std::vector<uint32_t> data = {0x11223344, 0xa5a5a55a};
  const std::vector<uint8_t> frame = EncodeRequest(Command::kWrite, 0x10020003, 2, data);
  const std::vector<uint8_t> head = {0xa5, 0x01, 0x03, 0x00, 0x02, 0x10, 0x01, 0x44,
                                     0x33, 0x22, 0x11, 0x5a, 0xa5, 0xa5, 0xa5};
  ASSERT_EQ(frame.size(), head.size() + 1);
  EXPECT_TRUE(std::equal(head.begin(), head.end(), frame.begin()));
  EXPECT_EQ(frame.back(), Crc8(std::span(frame).subspan(1, frame.size() - 2)));
}

TEST(BridgeProtocolTest, RejectsBadCounts) {
  EXPECT_THROW(EncodeRequest(Command::kRead, 0, 0), Error);
  EXPECT_THROW(EncodeRequest(Command::kRead, 0, kMaxWordsPerFrame + 1), Error);
  const std::vector<uint32_t> one = {1};
  EXPECT_THROW(EncodeRequest(Command::kWrite, 0, 2, one), Error);  // count != data size
  EXPECT_THROW(EncodeRequest(Command::kRead, 0, 1, one), Error);   // data on a READ
  EXPECT_EQ(EncodeRequest(Command::kRead, 0, kMaxWordsPerFrame).at(6), 0xff);
}

TEST(BridgeProtocolTest, MemBurstsWrapChunksIntoTheNextWord) {
  // 8 lanes: two chunks per word; 16 lanes: four.
  EXPECT_EQ(NextAddr(MemAddr(1, 7, 0), 8), MemAddr(1, 7, 1));
  EXPECT_EQ(NextAddr(MemAddr(1, 7, 1), 8), MemAddr(1, 8, 0));
  EXPECT_EQ(NextAddr(MemAddr(1, 7, 1), 16), MemAddr(1, 7, 2));
  EXPECT_EQ(NextAddr(MemAddr(1, 7, 3), 16), MemAddr(1, 8, 0));
  // Queues and registers step by one.
  EXPECT_EQ(NextAddr(QueueAddr(3, 9), 8), QueueAddr(3, 10));
  EXPECT_EQ(NextAddr(RegAddr(2), 8), RegAddr(3));
}

std::vector<uint8_t> Response(uint8_t status, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> frame;
  frame.reserve(payload.size() + 3);
  frame.push_back(kSyncResponse);
  frame.push_back(status);
  for (uint8_t b : payload) frame.push_back(b);
  frame.push_back(Crc8(std::span(frame).subspan(1)));
  return frame;
}

TEST(BridgeProtocolTest, DecodesResponsesAndNamesWhatIsWrong) {
  EXPECT_EQ(DecodeResponse(Response(0, {0x31, 0x55, 0x50, 0x4c}), 1),
            std::vector<uint32_t>{0x4c505531});
  EXPECT_TRUE(DecodeResponse(Response(0, {}), 0).empty());

  auto message = [](const std::vector<uint8_t>& frame, int words) {
    try {
      DecodeResponse(frame, words);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::vector<uint8_t> damaged = Response(0, {1, 2, 3, 4});
  damaged[3] ^= 0x10;
  EXPECT_NE(message(damaged, 1).find("CRC"), std::string::npos);
  EXPECT_NE(message(Response(1, {}), 1).find("BAD_CRC"), std::string::npos);
  EXPECT_NE(message(Response(2, {}), 1).find("BAD_COMMAND"), std::string::npos);
  EXPECT_NE(message(Response(0x77, {}), 1).find("UNKNOWN(0x77)"), std::string::npos);
  EXPECT_NE(message(Response(0, {1, 2, 3, 4}), 2).find("expected 11"), std::string::npos);
  std::vector<uint8_t> bad_sync = Response(0, {});
  bad_sync[0] = 0x00;
  EXPECT_NE(message(bad_sync, 0).find("starts with 0x00"), std::string::npos);
  EXPECT_NE(message({0x5a}, 0).find("too short"), std::string::npos);
}

}  // namespace
}  // namespace tinylpu::bridge
