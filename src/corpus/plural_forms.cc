// Recursive-descent parser and evaluator for gettext plural expressions (the C subset that
// msgfmt accepts: ?:, ||, &&, ==, !=, <, >, <=, >=, +, -, *, /, %, !, parentheses, n, integers).
#include "corpus/plural_forms.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "core/error.h"

namespace moemt::corpus {

struct PluralExpr::Node {
  enum Kind { kNum, kVar, kNot, kBin, kCond } kind;
  int depth = 1;  // of the subtree: eval and the destructor recurse this deep
  uint64_t value = 0;
  std::string op;
  std::shared_ptr<const Node> a, b, c;
};

namespace {
using NodeP = std::shared_ptr<const PluralExpr::Node>;
using Node = PluralExpr::Node;

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  NodeP parse_all() {
    if (s_.size() > kMaxPluralExprBytes)
      throw Error(
          "Plural-Forms expression of {} bytes is longer than the {} accepted (real formulas "
          "are under 200); the catalog header is corrupt",
          s_.size(), kMaxPluralExprBytes);
    NodeP n = cond();
    skip();
    if (pos_ != s_.size()) fail("unexpected text");
    return n;
  }

 private:
  [[noreturn]] void fail(const char* what) {
    // A crafted header can be kilobytes long; the start is enough to recognise it.
    std::string shown(s_.substr(0, 80));
    if (s_.size() > shown.size()) shown += "...";
    throw Error("bad Plural-Forms expression '{}': {} at offset {}", shown, what, pos_);
  }
  // Both the parser (through parentheses, '!' and '?:') and the tree (through long operator
  // chains) would otherwise nest as deep as the input lets them, overflowing the stack.
  [[noreturn]] void too_deep() {
    throw Error(
        "Plural-Forms expression nests deeper than {} levels at offset {} (real formulas nest "
        "under 20); the catalog header is corrupt",
        kMaxPluralExprDepth, pos_);
  }
  NodeP checked(std::shared_ptr<Node> n) {
    for (const NodeP* c : {&n->a, &n->b, &n->c})
      if (*c) n->depth = std::max(n->depth, (*c)->depth + 1);
    if (n->depth > kMaxPluralExprDepth) too_deep();
    return n;
  }
  // Counts the parser's own recursion (cond and '!'), released on return or throw.
  struct Nest {
    explicit Nest(Parser& p) : p_(p) {
      if (++p_.nest_ > kMaxPluralExprDepth) p_.too_deep();
    }
    ~Nest() { --p_.nest_; }
    Parser& p_;
  };
  void skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool eat(std::string_view tok) {
    skip();
    if (s_.substr(pos_, tok.size()) != tok) return false;
    // "!" must not swallow the first half of "!=", nor "<" of "<=", etc.
    if (tok.size() == 1 && pos_ + 1 < s_.size() && s_[pos_ + 1] == '=' &&
        (tok == "!" || tok == "<" || tok == ">" || tok == "="))
      return false;
    pos_ += tok.size();
    return true;
  }
  NodeP bin(std::string op, NodeP a, NodeP b) {
    auto n = std::make_shared<Node>();
    n->kind = Node::kBin;
    n->op = std::move(op);
    n->a = std::move(a);
    n->b = std::move(b);
    return checked(std::move(n));
  }
  NodeP cond() {
    Nest nest(*this);
    NodeP c = binary(0);
    if (!eat("?")) return c;
    NodeP t = cond();
    if (!eat(":")) fail("expected ':'");
    NodeP f = cond();
    auto n = std::make_shared<Node>();
    n->kind = Node::kCond;
    n->a = c;
    n->b = t;
    n->c = f;
    return checked(std::move(n));
  }
  // Precedence levels, loosest first.
  NodeP binary(int level) {
    static const std::vector<std::vector<std::string_view>> kLevels = {
        {"||"}, {"&&"}, {"==", "!="}, {"<=", ">=", "<", ">"}, {"+", "-"}, {"*", "/", "%"}};
    if (level == static_cast<int>(kLevels.size())) return unary();
    NodeP left = binary(level + 1);
    while (true) {
      bool matched = false;
      for (std::string_view op : kLevels[level]) {
        if (eat(op)) {
          left = bin(std::string(op), left, binary(level + 1));
          matched = true;
          break;
        }
      }
      if (!matched) return left;
    }
  }
  NodeP unary() {
    if (eat("!")) {
      Nest nest(*this);
      auto n = std::make_shared<Node>();
      n->kind = Node::kNot;
      n->a = unary();
      return checked(std::move(n));
    }
    if (eat("(")) {
      NodeP n = cond();
      if (!eat(")")) fail("expected ')'");
      return n;
    }
    skip();
    auto n = std::make_shared<Node>();
    if (pos_ < s_.size() && s_[pos_] == 'n') {
      ++pos_;
      n->kind = Node::kVar;
      return n;
    }
    if (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
      n->kind = Node::kNum;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_])))
        n->value = n->value * 10 + static_cast<uint64_t>(s_[pos_++] - '0');
      return n;
    }
    fail("expected n, a number, '!' or '('");
  }

  std::string_view s_;
  size_t pos_ = 0;
  int nest_ = 0;
};

uint64_t eval_node(const Node& n, uint64_t x) {
  switch (n.kind) {
    case Node::kNum:
      return n.value;
    case Node::kVar:
      return x;
    case Node::kNot:
      return eval_node(*n.a, x) == 0;
    case Node::kCond:
      return eval_node(*n.a, x) ? eval_node(*n.b, x) : eval_node(*n.c, x);
    case Node::kBin:
      break;
  }
  const std::string& op = n.op;
  if (op == "&&") return eval_node(*n.a, x) && eval_node(*n.b, x);
  if (op == "||") return eval_node(*n.a, x) || eval_node(*n.b, x);
  uint64_t a = eval_node(*n.a, x), b = eval_node(*n.b, x);
  if (op == "==") return a == b;
  if (op == "!=") return a != b;
  if (op == "<") return a < b;
  if (op == ">") return a > b;
  if (op == "<=") return a <= b;
  if (op == ">=") return a >= b;
  if (op == "+") return a + b;
  if (op == "-") return a - b;
  if (op == "*") return a * b;
  if (op == "/") return b == 0 ? 0 : a / b;  // gettext would raise SIGFPE; treat as 0
  if (op == "%") return b == 0 ? 0 : a % b;
  MOEMT_CHECK(false, "unknown plural operator {}", op);
  return 0;
}

}  // namespace

PluralExpr PluralExpr::parse(std::string_view expr) {
  PluralExpr e;
  e.root_ = Parser(expr).parse_all();
  return e;
}

uint64_t PluralExpr::eval(uint64_t n) const {
  if (!root_) return n != 1;
  return eval_node(*root_, n);
}

int PluralForms::singular_index() const {
  uint64_t i = plural.eval(1);
  return i < static_cast<uint64_t>(nplurals) ? static_cast<int>(i) : 0;
}

PluralForms parse_plural_forms(std::string_view v) {
  PluralForms pf;
  size_t np = v.find("nplurals");
  if (np != std::string_view::npos) {
    size_t eq = v.find('=', np);
    if (eq != std::string_view::npos) {
      uint64_t n = 0;
      size_t i = eq + 1, digits = 0;
      while (i < v.size() && v[i] == ' ') ++i;
      // Saturates instead of overflowing; anything past the limit is rejected below.
      for (; i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])); ++i, ++digits)
        n = std::min<uint64_t>(n * 10 + static_cast<uint64_t>(v[i] - '0'), kMaxPlurals + 1);
      if (digits > 0 && (n == 0 || n > kMaxPlurals))
        throw Error(
            "Plural-Forms nplurals={} is out of range 1..{} (languages have at most 6 forms); "
            "the catalog header is corrupt",
            std::string(v.substr(i - digits, std::min<size_t>(digits, 24))), kMaxPlurals);
      if (n > 0) pf.nplurals = static_cast<int>(n);
    }
  }
  size_t p = v.find("plural=");
  if (p == std::string_view::npos) p = v.find("plural =");
  if (p != std::string_view::npos) {
    size_t start = v.find('=', p) + 1;
    size_t end = v.find(';', start);
    std::string_view expr = v.substr(start, end == std::string_view::npos ? v.npos : end - start);
    pf.plural = PluralExpr::parse(expr);
  }
  return pf;
}

}  // namespace moemt::corpus
