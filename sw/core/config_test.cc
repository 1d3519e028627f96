// Tests for CoreConfig: named configurations, queue naming and validation.
#include "sw/core/config.h"

#include <gtest/gtest.h>

namespace tinylpu {
namespace {

TEST(ConfigTest, NamedConfigsAreValid) {
  ASSERT_FALSE(ConfigNames().empty());
  for (const std::string& name : ConfigNames()) {
    SCOPED_TRACE(name);
    CoreConfig c = NamedConfig(name);
    EXPECT_EQ(c.name, name);
    EXPECT_NO_THROW(c.Validate());
  }
}

TEST(ConfigTest, UnknownConfigListsKnownOnes) {
  try {
    NamedConfig("huge");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown config 'huge'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("default"), std::string::npos);
  }
}

TEST(ConfigTest, QueueNamesRoundTrip) {
  CoreConfig c = NamedConfig("default");
  for (int q = 0; q < c.num_queues(); ++q) EXPECT_EQ(c.QueueByName(c.QueueName(q)), q);
  EXPECT_EQ(c.QueueByName("mem8"), -1);
  EXPECT_EQ(c.QueueByName("mem"), -1);
  EXPECT_EQ(c.QueueByName("mem1x"), -1);
  EXPECT_EQ(c.QueueName(0), "mxmw");
  EXPECT_EQ(c.QueueName(2), "mem0");
  EXPECT_EQ(c.QueuePosition(CoreConfig::MemQueue(3)), CoreConfig::MemPosition(3));
  EXPECT_EQ(c.QueuePosition(CoreConfig::kQueueMxma), CoreConfig::MxmPosition());
}

// The target floorplan: MXM | SXM | MEM 0..N-1, queues mxmw, mxma, mem0.., sxm.
TEST(ConfigTest, FloorplanPlacesTheSxmBetweenMxmAndMem) {
  CoreConfig c = NamedConfig("default");
  EXPECT_EQ(CoreConfig::MxmPosition(), 0);
  EXPECT_EQ(CoreConfig::SxmPosition(), 1);
  EXPECT_EQ(CoreConfig::MemPosition(0), 2);
  EXPECT_EQ(CoreConfig::MemPosition(3), 5);
  EXPECT_EQ(c.num_positions(), 2 + c.mem_slices);
  EXPECT_EQ(c.SxmQueue(), 2 + c.mem_slices);
  EXPECT_EQ(c.num_queues(), 3 + c.mem_slices);
  EXPECT_EQ(c.QueueName(c.SxmQueue()), "sxm");
  EXPECT_EQ(c.QueueByName("sxm"), c.SxmQueue());
  EXPECT_EQ(c.QueueUnit(c.SxmQueue()), isa::Unit::kSxm);
  EXPECT_EQ(c.QueuePosition(c.SxmQueue()), CoreConfig::SxmPosition());
  EXPECT_EQ(c.QueueUnit(CoreConfig::MemQueue(c.mem_slices - 1)), isa::Unit::kMem);
  EXPECT_EQ(c.AddrLimit(c.SxmQueue()), 0);
}

TEST(ConfigTest, ValidateNamesTheBadParameter) {
  CoreConfig c = NamedConfig("default");
  c.mxm_dim = c.lanes + 1;
  EXPECT_THROW(
      {
        try {
          c.Validate();
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("mxm_dim"), std::string::npos);
          throw;
        }
      },
      Error);
}

}  // namespace
}  // namespace tinylpu
