#include "store/dynamodb/put_tokens.h"

#include <gtest/gtest.h>

namespace cctv::store::dynamodb {
namespace {

TEST(PutTokens, EachPutGetsItsOwnTokenUnlessOneIsUnsettled) {
  PutTokens tokens;
  const std::string a = tokens.token_for("k");
  const std::string b = tokens.token_for("k");
  EXPECT_NE(a, b);
  // Known outcomes leave nothing behind: a token is kept only when asked.
  EXPECT_EQ(tokens.unsettled(), 0u);
  // An unknown outcome keeps the token for the next write of that activity,
  // and only for one: a concurrent write of it gets a token of its own.
  tokens.keep("k", b);
  EXPECT_EQ(tokens.unsettled(), 1u);
  EXPECT_EQ(tokens.token_for("k"), b);
  EXPECT_NE(tokens.token_for("k"), b);
  EXPECT_EQ(tokens.unsettled(), 0u);
  EXPECT_NE(tokens.token_for("other"), b);
}

TEST(PutTokens, TwoProcessesNeverShareAToken) {
  PutTokens one;
  PutTokens two;
  EXPECT_NE(one.token_for("k"), two.token_for("k"));
}

}  // namespace
}  // namespace cctv::store::dynamodb
