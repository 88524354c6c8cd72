// YAML parser events -> located config tree, with bounded aliases.
#include "yaml_events.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <sstream>
#include <unordered_set>
#include <vector>

#include "itwin/util/error.hpp"

namespace itwin::config {
namespace {

const std::string kCoreTag = "tag:yaml.org,2002:";

class Builder : public YAML::EventHandler {
 public:
  Builder(std::shared_ptr<const std::string> src, Budget& budget, const IncludeFn& include)
      : src_(std::move(src)), budget_(budget), include_(include) {}

  Node take_root() { return root_ ? std::move(*root_) : Node(Node::Kind::Null, Mark{src_, 1, 1}); }

  void OnDocumentStart(const YAML::Mark& m) override {
    if (++documents_ > 1) {
      throw ConfigError(mark(m).str() +
                        ": a second YAML document starts here; a pipeline file holds one "
                        "(remove the '---' line, or split the file and use include:)");
    }
  }
  void OnDocumentEnd() override {}

  void OnAnchor(const YAML::Mark& m, const std::string& name) override {
    pending_ = {name, mark(m)};
  }

  void OnNull(const YAML::Mark& m, YAML::anchor_t anchor) override {
    Node n(Node::Kind::Null, mark(m));
    budget_.add({1, 0}, n.mark, "the document");
    name_anchor(anchor);
    finish(std::move(n), anchor, {1, 0});
  }

  void OnScalar(const YAML::Mark& ym, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Mark m = mark(ym);
    name_anchor(anchor);
    if (tag == "!include") {
      Node n = include_(value, m);  // charged to the same budget by the nested load
      Size s = size_of(n);
      finish(std::move(n), anchor, s);
      return;
    }
    check_tag(tag, m, {"str", "int", "float", "bool", "null", "binary", "timestamp"});
    check_text(value, m, key_position() ? "key" : "value");
    Size s{1, value.size()};
    budget_.add(s, m, "the document");
    // "!" is yaml-cpp's tag for a quoted scalar: always a string, as is !!str.
    finish(Node::scalar_of(value, m, tag == "!" || tag == kCoreTag + "str"), anchor, s);
  }

  void OnAlias(const YAML::Mark& ym, YAML::anchor_t anchor) override {
    Mark m = mark(ym);
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {  // its node is still open: the alias is inside its own anchor
      const auto& a = open_.at(anchor);
      throw ConfigError(m.str() + ": alias '*" + a.name +
                        "' refers to the node it is in (anchor '&" + a.name + "' at " +
                        a.mark.str() + "), which would contain itself forever");
    }
    budget_.add(it->second.size, m, "the document");
    finish(Node(it->second.node), 0, it->second.size);
  }

  void OnSequenceStart(const YAML::Mark& ym, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(Node::Kind::Seq, mark(ym), tag, anchor, "seq");
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& ym, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(Node::Kind::Map, mark(ym), tag, anchor, "map");
  }
  void OnMapEnd() override { close(); }

 private:
  struct Anchor {
    std::string name;
    Mark mark;
  };
  struct Finished {
    Node node;
    Size size;
  };
  struct Frame {
    Node node;
    YAML::anchor_t anchor = 0;
    Size size;
    std::optional<Entry> key;  // a map's key waiting for its value
    std::unordered_set<std::string> keys;
  };

  Mark mark(const YAML::Mark& m) const { return Mark{src_, m.line + 1, m.column + 1}; }

  bool key_position() const {
    return !stack_.empty() && stack_.back().node.is_map() && !stack_.back().key;
  }

  void check_tag(const std::string& tag, const Mark& m, const std::vector<std::string>& core) {
    if (tag.empty() || tag == "?" || tag == "!") return;
    for (const auto& c : core)
      if (tag == kCoreTag + c) return;
    std::string shown =
        tag.compare(0, kCoreTag.size(), kCoreTag) == 0 ? "!!" + tag.substr(kCoreTag.size()) : tag;
    throw ConfigError(m.str() + ": unsupported tag '" + shown +
                      "' (itwin knows !include and the standard !!str, !!int, ...)");
  }

  void name_anchor(YAML::anchor_t anchor) {
    if (anchor) open_[anchor] = pending_;
  }

  void open(Node::Kind kind, const Mark& m, const std::string& tag, YAML::anchor_t anchor,
            const char* core) {
    if (tag == "!include") throw ConfigError(m.str() + ": !include expects a file path");
    check_tag(tag, m, {core});
    if (key_position()) throw ConfigError(m.str() + ": map keys must be plain names");
    if (static_cast<int>(stack_.size()) >= kMaxDepth) {
      throw ConfigError(m.str() + ": lists and maps are nested more than " +
                        std::to_string(kMaxDepth) + " levels deep");
    }
    budget_.add({1, 0}, m, "the document");
    name_anchor(anchor);
    Frame f;
    f.node = Node(kind, m);
    f.anchor = anchor;
    f.size = {1, 0};
    stack_.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    finish(std::move(f.node), f.anchor, f.size);
  }

  // A complete node: remember it for its aliases, then hang it into its parent.
  void finish(Node n, YAML::anchor_t anchor, const Size& s) {
    if (anchor) anchors_[anchor] = Finished{n, s};
    if (stack_.empty()) {
      root_ = std::move(n);
      return;
    }
    Frame& f = stack_.back();
    f.size.nodes += s.nodes;
    f.size.bytes += s.bytes;
    const size_t items = f.node.is_seq() ? f.node.seq.size() : f.node.map.size();
    if (items >= kMaxItems && !f.key) {
      throw ConfigError(f.node.mark.str() + ": " + (f.node.is_seq() ? "list" : "map") +
                        " has more than " + std::to_string(kMaxItems) + " items");
    }
    if (f.node.is_seq()) {
      f.node.seq.push_back(std::move(n));
    } else if (!f.key) {
      if (!n.is_scalar()) throw ConfigError(n.mark.str() + ": map keys must be plain names");
      check_text(n.scalar, n.mark, "key");
      if (!f.keys.insert(n.scalar).second) {
        throw ConfigError(n.mark.str() + ": duplicate key '" + n.scalar + "' (first defined at " +
                          f.node.find_entry(n.scalar)->key_mark.str() + ")");
      }
      f.key = Entry{n.scalar, n.mark, nullptr};
    } else {
      f.key->value = std::make_unique<Node>(std::move(n));
      f.node.map.push_back(std::move(*f.key));
      f.key.reset();
    }
  }

  std::shared_ptr<const std::string> src_;
  Budget& budget_;
  const IncludeFn& include_;
  int documents_ = 0;
  Anchor pending_;
  std::map<YAML::anchor_t, Anchor> open_;       // names and places of anchors seen so far
  std::map<YAML::anchor_t, Finished> anchors_;  // anchored nodes that are complete
  std::vector<Frame> stack_;
  std::optional<Node> root_;
};

}  // namespace

Node build_yaml(const std::string& text, const std::shared_ptr<const std::string>& source,
                Budget& budget, const IncludeFn& include) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  Builder b(source, budget, include);
  while (parser.HandleNextDocument(b)) {
  }
  return b.take_root();
}

}  // namespace itwin::config
