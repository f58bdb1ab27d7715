// Recursive-descent parser and evaluator for gettext plural expressions (the C subset that
// msgfmt accepts: ?:, ||, &&, ==, !=, <, >, <=, >=, +, -, *, /, %, !, parentheses, n, integers).
#include "corpus/plural_forms.h"

#include <cctype>
#include <string>
#include <vector>

#include "core/error.h"

namespace moemt::corpus {

struct PluralExpr::Node {
  enum Kind { kNum, kVar, kNot, kBin, kCond } kind;
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
    NodeP n = cond();
    skip();
    if (pos_ != s_.size()) fail("unexpected text");
    return n;
  }

 private:
  [[noreturn]] void fail(const char* what) {
    throw Error("bad Plural-Forms expression '{}': {} at offset {}", s_, what, pos_);
  }
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
  static NodeP bin(std::string op, NodeP a, NodeP b) {
    auto n = std::make_shared<Node>();
    n->kind = Node::kBin;
    n->op = std::move(op);
    n->a = std::move(a);
    n->b = std::move(b);
    return n;
  }
  NodeP cond() {
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
    return n;
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
      auto n = std::make_shared<Node>();
      n->kind = Node::kNot;
      n->a = unary();
      return n;
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
      int n = 0;
      size_t i = eq + 1;
      while (i < v.size() && v[i] == ' ') ++i;
      while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])))
        n = n * 10 + (v[i++] - '0');
      if (n > 0) pf.nplurals = n;
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
