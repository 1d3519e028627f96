// Transformer compiler: MEM layout of a model and the per-layer schedule of prefill and decode.
#include "sw/compiler/transformer.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "sw/core/driver.h"
#include "sw/core/error.h"

namespace tinylpu {
namespace {

int CeilDiv(int a, int b) { return (a + b - 1) / b; }

constexpr VxmType kF32 = VxmType::kF32;
constexpr VxmType kI8 = VxmType::kI8;

// ---- Host-side packing ----

// Words of an int8 matrix [rows][cols] cut into L x L tiles: word (kt, nt, r) has lane n =
// m[kt*L + r][nt*L + n] (zero outside the matrix).
std::vector<std::vector<uint8_t>> TileWords(const Int8Tensor& m, int lanes, int tiles_k,
                                            int tiles_n) {
  std::vector<std::vector<uint8_t>> words;
  for (int kt = 0; kt < tiles_k; ++kt) {
    for (int nt = 0; nt < tiles_n; ++nt) {
      for (int r = 0; r < lanes; ++r) {
        std::vector<uint8_t> w(lanes, 0);
        const int row = kt * lanes + r;
        for (int n = 0; n < lanes; ++n) {
          const int col = nt * lanes + n;
          if (row < m.rows && col < m.cols) w[n] = static_cast<uint8_t>(m.at(row, col));
        }
        words.push_back(std::move(w));
      }
    }
  }
  return words;
}

// The four byte planes of an fp32 vector.
std::array<std::vector<uint8_t>, 4> F32Planes(const std::vector<float>& v, int lanes) {
  std::array<std::vector<uint8_t>, 4> planes;
  for (auto& p : planes) p.assign(lanes, 0);
  for (int l = 0; l < lanes && l < static_cast<int>(v.size()); ++l) {
    const uint32_t bits = std::bit_cast<uint32_t>(v[l]);
    for (int b = 0; b < 4; ++b) planes[b][l] = static_cast<uint8_t>(bits >> (8 * b));
  }
  return planes;
}

// Head h of the query: its kv head g, the kv tile holding g and the lane of its first feature.
struct HeadPlace {
  int g = 0;
  int kv_tile = 0;
  int lane0 = 0;
};
HeadPlace PlaceHead(const ModelConfig& c, int lanes, int h) {
  const int g = h / c.group_size();
  return HeadPlace{g, g * c.head_dim / lanes, g * c.head_dim % lanes};
}

// Builds the persistent layout and image.
class Mapper {
 public:
  Mapper(MappedModel& m) : m_(m), c_(m.golden.config), lanes_(m.config.lanes) {}

  void Run() {
    const int nd = m_.d_tiles();
    const int seq = c_.seq_len;
    m_.input = Int8("input", seq * nd, {});
    for (int l = 0; l < c_.n_layers; ++l) MapLayer(l);
    MapShared();
  }

 private:
  TensorId Int8(const std::string& name, int vectors,
                const std::vector<std::vector<uint8_t>>& words) {
    const TensorId id = m_.mem.Allocate(name, 1, vectors);
    const MemTensor& t = m_.mem.tensor(id);
    for (int v = 0; v < vectors; ++v) {
      std::vector<uint8_t> lanes =
          v < static_cast<int>(words.size()) ? words[v] : std::vector<uint8_t>(lanes_, 0);
      m_.image.push_back(MemWord{t.Loc(0, v), std::move(lanes)});
    }
    return id;
  }

  TensorId F32(const std::string& name, const std::vector<std::vector<float>>& vectors) {
    const TensorId id = m_.mem.Allocate(name, 4, static_cast<int>(vectors.size()));
    const MemTensor& t = m_.mem.tensor(id);
    for (size_t v = 0; v < vectors.size(); ++v) {
      auto planes = F32Planes(vectors[v], lanes_);
      for (int b = 0; b < 4; ++b) {
        m_.image.push_back(MemWord{t.Loc(b, static_cast<int>(v)), std::move(planes[b])});
      }
    }
    return id;
  }

  // Per-tile vectors of a per-column constant: vector nt lane n = v[nt*L + n].
  std::vector<std::vector<float>> Tiles(const std::vector<float>& v, int tiles) const {
    std::vector<std::vector<float>> out(tiles, std::vector<float>(lanes_, 0.0f));
    for (int i = 0; i < static_cast<int>(v.size()); ++i) out[i / lanes_][i % lanes_] = v[i];
    return out;
  }

  MappedModel::Matrix Matrix(const std::string& name, const Int8Tensor& w) {
    MappedModel::Matrix mx;
    mx.tiles_k = CeilDiv(w.rows, lanes_);
    mx.tiles_n = CeilDiv(w.cols, lanes_);
    mx.words =
        Int8(name, mx.tiles_k * mx.tiles_n * lanes_, TileWords(w, lanes_, mx.tiles_k, mx.tiles_n));
    return mx;
  }

  void MapLayer(int l) {
    const QuantLayerWeights& w = m_.golden.weights.layers[l];
    const LayerConstants k = BuildLayerConstants(m_.golden, l);
    MappedModel::Layer& L = m_.layers.emplace_back();
    L.consts = k;
    const int nd = m_.d_tiles();
    const int nkv = m_.kv_tiles();
    const int hd = c_.head_dim;
    const int H = c_.n_heads;
    const bool rope = c_.is_decoder();
    const std::string p = fmt::format("layer{}.", l);

    // Wq per head: one tile with head h's columns at its kv head's lanes (and, for RoPE, one
    // before it with each pair's columns swapped); zero elsewhere.
    const int q_tiles = H * (rope ? 2 : 1);
    Int8Tensor wq(c_.d_model, q_tiles * lanes_);
    std::vector<float> q_mul(q_tiles * lanes_, 0.0f), q_add(q_tiles * lanes_, 0.0f);
    for (int h = 0; h < H; ++h) {
      const HeadPlace hp = PlaceHead(c_, lanes_, h);
      for (int s = 0; s < (rope ? 2 : 1); ++s) {
        const bool swapped = rope && s == 0;
        const int nt = rope ? 2 * h + s : h;
        for (int i = 0; i < hd; ++i) {
          const int src = h * hd + (swapped ? (i ^ 1) : i);
          const int col = nt * lanes_ + hp.lane0 + i;
          for (int r = 0; r < c_.d_model; ++r) wq.at(r, col) = w.wq.q.at(r, src);
          q_mul[col] = k.q_mul[src];
          if (!k.q_add.empty()) q_add[col] = k.q_add[src];
        }
      }
    }
    L.wq = Matrix(p + "wq", wq);
    L.q_mul = F32(p + "q_mul", Tiles(q_mul, q_tiles));
    if (!rope) L.q_add = F32(p + "q_add", Tiles(q_add, q_tiles));

    // Wk: the kv tiles as they are (and, for RoPE, each preceded by its pair-swapped copy).
    auto kv_matrix = [&](const QuantMatrix& src, const std::vector<float>& mul,
                         const std::vector<float>& add, bool swap, const std::string& name,
                         MappedModel::Matrix& out, TensorId& out_mul, TensorId& out_add) {
      const int tiles = nkv * (swap ? 2 : 1);
      Int8Tensor wm(c_.d_model, tiles * lanes_);
      std::vector<float> mv(tiles * lanes_, 0.0f), av(tiles * lanes_, 0.0f);
      for (int j = 0; j < nkv; ++j) {
        for (int s = 0; s < (swap ? 2 : 1); ++s) {
          const bool swapped = swap && s == 0;
          const int nt = swap ? 2 * j + s : j;
          for (int n = 0; n < lanes_; ++n) {
            const int c = j * lanes_ + n;
            if (c >= c_.kv_dim()) continue;
            const int sc = swapped ? (c ^ 1) : c;
            for (int r = 0; r < c_.d_model; ++r) wm.at(r, nt * lanes_ + n) = src.q.at(r, sc);
            mv[nt * lanes_ + n] = mul[sc];
            if (!add.empty()) av[nt * lanes_ + n] = add[sc];
          }
        }
      }
      out = Matrix(name, wm);
      out_mul = F32(name + "_mul", Tiles(mv, tiles));
      if (!add.empty()) out_add = F32(name + "_add", Tiles(av, tiles));
    };
    kv_matrix(w.wk, k.k_mul, k.k_add, rope, p + "wk", L.wk, L.k_mul, L.k_add);
    kv_matrix(w.wv, k.v_mul, k.v_add, false, p + "wv", L.wv, L.v_mul, L.v_add);

    // Wo per head: K tile h holds rows h*hd.. at the lanes where head h's attention output
    // comes out of the PV product (its kv head's lanes); the other rows are zero, so the other
    // kv head's lanes in that vector do not contribute.
    Int8Tensor wo(H * lanes_, c_.d_model);
    for (int h = 0; h < H; ++h) {
      const HeadPlace hp = PlaceHead(c_, lanes_, h);
      for (int i = 0; i < hd; ++i) {
        for (int n = 0; n < c_.d_model; ++n) {
          wo.at(h * lanes_ + hp.lane0 + i, n) = w.wo.q.at(h * hd + i, n);
        }
      }
    }
    L.wo = Matrix(p + "wo", wo);
    L.o_mul = F32(p + "o_mul", Tiles(k.o_mul, nd));
    if (!k.o_add.empty()) L.o_add = F32(p + "o_add", Tiles(k.o_add, nd));

    const int nf = CeilDiv(c_.ffn_dim, lanes_);
    L.w1 = Matrix(p + "w1", w.w1.q);
    L.w1_mul = F32(p + "w1_mul", Tiles(k.w1_mul, nf));
    if (!k.w1_add.empty()) L.w1_add = F32(p + "w1_add", Tiles(k.w1_add, nf));
    if (c_.is_decoder()) {
      L.w3 = Matrix(p + "w3", w.w3.q);
      L.w3_mul = F32(p + "w3_mul", Tiles(k.w3_mul, nf));
    }
    L.w2 = Matrix(p + "w2", w.w2.q);
    L.w2_mul = F32(p + "w2_mul", Tiles(k.w2_mul, nd));
    if (!k.w2_add.empty()) L.w2_add = F32(p + "w2_add", Tiles(k.w2_add, nd));
    L.norm1_gain = F32(p + "norm1_gain", Tiles(k.norm1_gain, nd));
    L.norm2_gain = F32(p + "norm2_gain", Tiles(k.norm2_gain, nd));
    if (!k.norm1_bias.empty()) L.norm1_bias = F32(p + "norm1_bias", Tiles(k.norm1_bias, nd));
    if (!k.norm2_bias.empty()) L.norm2_bias = F32(p + "norm2_bias", Tiles(k.norm2_bias, nd));

    L.k_cache = Int8(p + "k_cache", nkv * c_.seq_len, {});
    L.v_cache = Int8(p + "v_cache", nkv * c_.seq_len, {});
    L.out = Int8(p + "out", c_.seq_len * nd, {});
  }

  void MapShared() {
    const int hd = c_.head_dim;
    if (c_.is_decoder()) {
      const RopeTable rope = BuildRopeTable(c_, c_.seq_len);
      std::vector<std::vector<float>> cosv, sinv;
      for (int pos = 0; pos < c_.seq_len; ++pos) {
        std::vector<float> cv(lanes_), sv(lanes_);
        for (int l = 0; l < lanes_; ++l) {
          const int i = (l % hd) / 2;
          cv[l] = rope.cos.at(pos, i);
          sv[l] = (l % hd) % 2 == 0 ? -rope.sin.at(pos, i) : rope.sin.at(pos, i);
        }
        cosv.push_back(cv);
        sinv.push_back(sv);
      }
      m_.rope_cos = F32("rope_cos", cosv);
      m_.rope_sin = F32("rope_sin", sinv);
    }
    std::vector<std::vector<float>> masks;
    for (int j = 0; j <= lanes_; ++j) {
      std::vector<float> mv(lanes_);
      for (int l = 0; l < lanes_; ++l) {
        mv[l] = l < j ? 0.0f : -std::numeric_limits<float>::infinity();
      }
      masks.push_back(mv);
    }
    m_.masks = F32("masks", masks);
    std::vector<std::vector<uint8_t>> maps;
    for (int s = lanes_ / 2; s >= 1; s /= 2) {
      std::vector<uint8_t> mw(lanes_);
      for (int l = 0; l < lanes_; ++l) mw[l] = static_cast<uint8_t>(l ^ s);
      maps.push_back(mw);
    }
    for (int slice = 0; slice < m_.config.mem_slices; ++slice) {
      const TensorId id = m_.mem.AllocateOn(fmt::format("xor_maps{}", slice), 1,
                                            static_cast<int>(maps.size()), slice);
      for (size_t i = 0; i < maps.size(); ++i) {
        m_.image.push_back(MemWord{m_.mem.tensor(id).Loc(0, static_cast<int>(i)), maps[i]});
      }
      m_.xor_maps.push_back(id);
    }
    m_.ones = Int8("ones", 1, {std::vector<uint8_t>(lanes_, 1)});
    std::vector<float> pad(m_.d_tiles() * lanes_, 0.0f);
    for (int i = 0; i < c_.d_model; ++i) pad[i] = 1.0f;
    m_.pad_mask = F32("pad_mask", Tiles(pad, m_.d_tiles()));
  }

  MappedModel& m_;
  const ModelConfig& c_;
  const int lanes_;
};

// ---- Per-run schedule ----

StreamSrc In(TensorId t, const IndexMap& idx, VxmType type) {
  return StreamSrc::Tensor(t, idx, type);
}

StreamSrc Acc() { return StreamSrc::Acc(); }

// Iteration u = nt * rows + m of a matmul epilogue -> vector m * tiles + nt of a row-major
// [rows][tiles] tensor.
IndexMap RowTile(int rows, int tiles, int offset = 0) {
  return IndexMap{.add = offset, .div = 1, .mod = rows, .mul = tiles, .div2 = rows, .mul2 = 1};
}

class LayerCompiler {
 public:
  // `tokens` rows at positions pos0.., rows row0.. of the run's input and output buffers.
  // `fuse_activation`: the FFN's Silu or Gelu runs in W1's epilogue instead of its own pass.
  LayerCompiler(const MappedModel& m, Engine& eng, int tokens, int pos0, int row0,
                bool fuse_activation)
      : fuse_activation_(fuse_activation),
        m_(m),
        c_(m.golden.config),
        eng_(eng),
        mem_(eng.mem()),
        lanes_(m.config.lanes),
        nd_(m.d_tiles()),
        T_(tokens),
        pos0_(pos0),
        row0_(row0) {}

  void Layer(int l) {
    const MappedModel::Layer& L = m_.layers[l];
    const TensorId x = l == 0 ? m_.input : m_.layers[l - 1].out;
    if (c_.is_decoder()) {
      Decoder(L, x);
    } else {
      Encoder(L, x);
    }
  }

 private:
  static constexpr int kChunk = 32;
  // MEM words the attention scores of one batch of heads may take (an eighth of the default
  // core's MEM).
  static constexpr int kScoreWords = 1024;

  // A temporary whose slice is chosen when the first work writing it is placed.
  TensorId Temp(const std::string& name, VxmType type, int vectors) {
    return mem_.Defer(name, TypePlanes(type), vectors);
  }

  // h = f32(x) * in_scale, [T][nd], from vector `first` of x on.
  TensorId Dequant(TensorId x, float scale, const std::string& name, int first = 0) {
    const TensorId h = Temp(name, kF32, T_ * nd_);
    VGraph g;
    const int v = g.I8ToF32(g.Input(In(x, IndexMap::Identity(first), kI8)));
    g.Output(g.Mul(v, g.ConstF32(scale)), h, IndexMap::Identity());
    eng_.RunGraph(g, T_ * nd_, kChunk);
    return h;
  }

  // Reduction (VADD or VMAX) over each of the `rows` rows of x ([rows][tiles] fp32) in the
  // order of ReduceSumF32, the result in every lane: tiles combined in order, then an XOR
  // butterfly over the lanes (the op with the SXM's PERMUTE by l xor s). Returns [rows] fp32.
  TensorId RowReduce(TensorId x, int rows, int tiles, isa::Op op, const std::string& name) {
    TensorId acc = x;
    bool own = false;
    if (tiles > 1) {
      acc = Temp(name + ".tiles", kF32, rows);
      VGraph g;
      int a = g.Input(In(x, IndexMap{.mul = tiles}, kF32));
      for (int j = 1; j < tiles; ++j) {
        a = g.Op(op, kF32, a, g.Input(In(x, IndexMap{.add = j, .mul = tiles}, kF32)));
      }
      g.Output(a, acc, IndexMap::Identity());
      eng_.RunGraph(g, rows, kChunk);
      own = true;
    }
    int map = 0;
    for (int s = lanes_ / 2; s >= 1; s /= 2, ++map) {
      const TensorId next = Temp(fmt::format("{}.s{}", name, s), kF32, rows);
      VGraph g;
      const int a = g.Input(In(acc, IndexMap::Identity(), kF32));
      const int p = g.Input(StreamSrc::Permute(acc, IndexMap::Identity(), MapBeside(acc),
                                               IndexMap::Constant(map), kF32));
      g.Output(g.Op(op, kF32, a, p), next, IndexMap::Identity());
      eng_.RunGraph(g, rows, kChunk);
      if (own) mem_.Free(acc);
      acc = next;
      own = true;
    }
    return acc;
  }
  TensorId RowSum(TensorId x, int tiles, isa::Op op, const std::string& name) {
    return RowReduce(x, T_, tiles, op, name);
  }

  // A copy of the lane maps on another slice than `t`'s (so the map and the vector reach the
  // SXM in the same cycle).
  TensorId MapBeside(TensorId t) const {
    const MemTensor& tensor = mem_.tensor(t);
    for (int s = 0; s < m_.config.mem_slices; ++s) {
      if (!tensor.OnSlice(s)) return m_.xor_maps[s];
    }
    throw Error(
        fmt::format("compiler: tensor '{}' spans every MEM slice; no slice is left for "
                    "the lane map of its permute",
                    tensor.name));
  }

  // RMSNorm (bias < 0) or LayerNorm of x [T][nd] fp32 into int8 `out` at vectors m*nd + j +
  // out_offset (docs/numerics.md section 4).
  void Norm(TensorId x, const LayerConstants& k, TensorId gain, TensorId bias, TensorId out,
            const std::string& name, int out_first = 0) {
    const bool layer_norm = bias >= 0;
    const int n = T_ * nd_;
    TensorId centred = x;
    TensorId mean = -1;
    if (layer_norm) {
      const TensorId sum = RowSum(x, nd_, isa::Op::kVadd, name + ".sum");
      mean = Temp(name + ".mean", kF32, T_);
      VGraph gm;
      gm.Output(gm.Mul(gm.Input(In(sum, IndexMap::Identity(), kF32)), gm.ConstF32(k.inv_d)), mean,
                IndexMap::Identity());
      eng_.RunGraph(gm, T_, kChunk);
      mem_.Free(sum);
      centred = Temp(name + ".c", kF32, n);
    }
    const TensorId sq = Temp(name + ".sq", kF32, n);
    {
      VGraph g;
      int v = g.Input(In(x, IndexMap::Identity(), kF32));
      if (layer_norm) {
        v = g.Sub(v, g.Input(In(mean, IndexMap::Every(nd_), kF32)));
        if (c_.d_model % lanes_ != 0) {
          // Padding lanes of the last tile must stay +-0 (they are +0 in the golden sums).
          v = g.Mul(v, g.Input(In(PadMask(), IndexMap::Cyclic(nd_), kF32)));
        }
        g.Output(v, centred, IndexMap::Identity());
      }
      g.Output(g.Mul(v, v), sq, IndexMap::Identity());
      eng_.RunGraph(g, n, kChunk);
    }
    if (mean >= 0) mem_.Free(mean);
    const TensorId sum = RowSum(sq, nd_, isa::Op::kVadd, name + ".sumsq");
    mem_.Free(sq);
    const TensorId r = Temp(name + ".r", kF32, T_);
    {
      VGraph g;
      const int ms = g.Mul(g.Input(In(sum, IndexMap::Identity(), kF32)), g.ConstF32(k.inv_d));
      g.Output(g.Func(vxm::Func::kRsqrt, g.Add(ms, g.ConstF32(k.eps))), r, IndexMap::Identity());
      eng_.RunGraph(g, T_, kChunk);
    }
    mem_.Free(sum);
    {
      VGraph g;
      const int v = g.Input(In(centred, IndexMap::Identity(), kF32));
      int y = g.Mul(g.Mul(v, g.Input(In(r, IndexMap::Every(nd_), kF32))),
                    g.Input(In(gain, IndexMap::Cyclic(nd_), kF32)));
      if (layer_norm) y = g.Add(y, g.Input(In(bias, IndexMap::Cyclic(nd_), kF32)));
      g.Output(g.F32ToI8(y), out, IndexMap::Identity(out_first));
      eng_.RunGraph(g, n, kChunk);
    }
    mem_.Free(r);
    if (layer_norm) mem_.Free(centred);
  }

  // 1.0 in the lanes of each d tile that hold a feature, 0.0 in the padding.
  TensorId PadMask() const { return m_.pad_mask; }

  // A matmul of the T rows of x ([rows][x_tiles] int8 from row `row0` on) by w.
  MatmulSpec Spec(const std::string& name, TensorId x, int x_tiles, const MappedModel::Matrix& w,
                  int row0 = 0) {
    MatmulSpec s;
    s.name = name;
    s.rows = T_;
    s.tiles_k = w.tiles_k;
    s.tiles_n = w.tiles_n;
    const MemTensor xt = mem_.tensor(x);
    s.x = [xt, x_tiles, row0](int m, int kt) { return xt.Loc(0, (row0 + m) * x_tiles + kt); };
    const MemTensor wt = mem_.tensor(w.words);
    const int tiles_n = w.tiles_n;
    const int lanes = lanes_;
    s.w = [wt, tiles_n, lanes](int kt, int nt, int r) {
      return wt.Loc(0, (kt * tiles_n + nt) * lanes + r);
    };
    return s;
  }

  // Runs `spec` with one epilogue graph per N tile.
  void Matmul(const MatmulSpec& spec, const std::vector<VGraph>& epilogues) {
    eng_.RunMatmul(
        spec, [&](int nt) -> const VGraph& { return epilogues[nt]; }, kChunk);
  }

  void Decoder(const MappedModel::Layer& L, TensorId x) {
    const LayerConstants& k = L.consts;
    const int H = c_.n_heads;
    const int nkv = m_.kv_tiles();
    const TensorId h = Dequant(x, k.in_scale, "h", row0_ * nd_);
    const TensorId a = Temp("attn_in", kI8, T_ * nd_);
    Norm(h, k, L.norm1_gain, -1, a, "norm1");

    // Q with RoPE: tile 2h is head h with its pairs swapped, tile 2h+1 head h itself.
    const TensorId q = Temp("q", kI8, H * T_);
    {
      const TensorId qs = Temp("q_swapped", kF32, H * T_);
      std::vector<VGraph> epi(2 * H);
      for (int hh = 0; hh < H; ++hh) {
        RopeEpilogue(epi[2 * hh], epi[2 * hh + 1], L.q_mul, 2 * hh, qs, q,
                     IndexMap::Identity(hh * T_ - 2 * hh * T_),
                     IndexMap::Identity(hh * T_ - (2 * hh + 1) * T_));
      }
      Matmul(Spec("wq", a, nd_, L.wq), epi);
      mem_.Free(qs);
    }
    // K with RoPE into the cache: tiles 2j, 2j+1 for kv tile j.
    {
      const TensorId ks = Temp("k_swapped", kF32, nkv * T_);
      std::vector<VGraph> epi(2 * nkv);
      for (int j = 0; j < nkv; ++j) {
        RopeEpilogue(epi[2 * j], epi[2 * j + 1], L.k_mul, 2 * j, ks, L.k_cache,
                     IndexMap::Identity(j * T_ - 2 * j * T_),
                     IndexMap::Identity(j * c_.seq_len + pos0_ - (2 * j + 1) * T_));
      }
      Matmul(Spec("wk", a, nd_, L.wk), epi);
      mem_.Free(ks);
    }
    // V into the cache.
    {
      std::vector<VGraph> epi(nkv);
      for (int j = 0; j < nkv; ++j) {
        VGraph& g = epi[j];
        const int v =
            g.Mul(g.I32ToF32(g.Input(Acc())), g.Input(In(L.v_mul, IndexMap::Constant(j), kF32)));
        g.Output(g.F32ToI8(v), L.v_cache, IndexMap::Identity(j * c_.seq_len + pos0_ - j * T_));
      }
      Matmul(Spec("wv", a, nd_, L.wv), epi);
    }
    mem_.Free(a);
    const TensorId attn = Attention(L, q);
    mem_.Free(q);

    // h1 = h + attn Wo.
    const TensorId h1 = Temp("h1", kF32, T_ * nd_);
    {
      std::vector<VGraph> epi(nd_);
      for (int nt = 0; nt < nd_; ++nt) {
        VGraph& g = epi[nt];
        const int proj =
            g.Mul(g.I32ToF32(g.Input(Acc())), g.Input(In(L.o_mul, IndexMap::Constant(nt), kF32)));
        g.Output(g.Add(proj, g.Input(In(h, RowTile(T_, nd_), kF32))), h1, RowTile(T_, nd_));
      }
      Matmul(Spec("wo", attn, H, L.wo), epi);
    }
    mem_.Free(attn);
    mem_.Free(h);

    const TensorId f = Temp("ffn_in", kI8, T_ * nd_);
    Norm(h1, k, L.norm2_gain, -1, f, "norm2");
    const int nf = CeilDiv(c_.ffn_dim, lanes_);
    // silu = Silu(f32(f W1) * w1_mul), then mid = q8((f W3) * w3_mul * silu). Silu runs in W1's
    // epilogue (fused) or as its own pass over every vector after W1.
    const TensorId sg = Temp("silu", kF32, T_ * nf);
    {
      const TensorId gate = fuse_activation_ ? sg : Temp("gate", kF32, T_ * nf);
      std::vector<VGraph> epi(nf);
      for (int nt = 0; nt < nf; ++nt) {
        VGraph& g = epi[nt];
        const int v =
            g.Mul(g.I32ToF32(g.Input(Acc())), g.Input(In(L.w1_mul, IndexMap::Constant(nt), kF32)));
        g.Output(fuse_activation_ ? g.Func(vxm::Func::kSilu, v) : v, gate, RowTile(T_, nf));
      }
      Matmul(Spec("w1", f, nd_, L.w1), epi);
      if (!fuse_activation_) {
        VGraph g;
        g.Output(g.Func(vxm::Func::kSilu, g.Input(In(gate, IndexMap::Identity(), kF32))), sg,
                 IndexMap::Identity());
        eng_.RunGraph(g, T_ * nf, kChunk);
        mem_.Free(gate);
      }
    }
    const TensorId mid = Temp("ffn_mid", kI8, T_ * nf);
    {
      std::vector<VGraph> epi(nf);
      for (int nt = 0; nt < nf; ++nt) {
        VGraph& g = epi[nt];
        const int up =
            g.Mul(g.I32ToF32(g.Input(Acc())), g.Input(In(L.w3_mul, IndexMap::Constant(nt), kF32)));
        g.Output(g.F32ToI8(g.Mul(up, g.Input(In(sg, RowTile(T_, nf), kF32)))), mid,
                 RowTile(T_, nf));
      }
      Matmul(Spec("w3", f, nd_, L.w3), epi);
    }
    mem_.Free(sg);
    mem_.Free(f);
    // out = q8((h1 + mid W2) * out_inv).
    {
      std::vector<VGraph> epi(nd_);
      for (int nt = 0; nt < nd_; ++nt) {
        VGraph& g = epi[nt];
        const int ffn =
            g.Mul(g.I32ToF32(g.Input(Acc())), g.Input(In(L.w2_mul, IndexMap::Constant(nt), kF32)));
        const int h2 = g.Add(ffn, g.Input(In(h1, RowTile(T_, nd_), kF32)));
        g.Output(g.F32ToI8(g.Mul(h2, g.ConstF32(k.out_inv))), L.out, RowTile(T_, nd_, row0_ * nd_));
      }
      Matmul(Spec("w2", mid, nf, L.w2), epi);
    }
    mem_.Free(mid);
    mem_.Free(h1);
  }

  // The two epilogues of a RoPE projection pair: tile `nt` (pairs swapped) stores
  // f32(acc) * mul * sin' (sin' = -sin on even lanes) into `swapped`; tile nt + 1 adds
  // f32(acc) * mul * cos to it and stores q8 of the sum into `out` (docs/compiler.md, RoPE).
  void RopeEpilogue(VGraph& gs, VGraph& gn, TensorId mul, int nt, TensorId swapped, TensorId out,
                    const IndexMap& swapped_idx, const IndexMap& out_idx) {
    // Position of the row of iteration u = tile * T + m: pos0 + m.
    const IndexMap pos_s = IndexMap::Identity(pos0_ - nt * T_);
    const IndexMap pos_n = IndexMap::Identity(pos0_ - (nt + 1) * T_);
    {
      const int f =
          gs.Mul(gs.I32ToF32(gs.Input(Acc())), gs.Input(In(mul, IndexMap::Constant(nt), kF32)));
      gs.Output(gs.Mul(f, gs.Input(In(m_.rope_sin, pos_s, kF32))), swapped, swapped_idx);
    }
    {
      const int f =
          gn.Mul(gn.I32ToF32(gn.Input(Acc())), gn.Input(In(mul, IndexMap::Constant(nt + 1), kF32)));
      const int rot = gn.Add(gn.Mul(f, gn.Input(In(m_.rope_cos, pos_n, kF32))),
                             gn.Input(In(swapped, IndexMap::Identity(swapped_idx.add - T_), kF32)));
      gn.Output(gn.F32ToI8(rot), out, out_idx);
    }
  }

  // Attention of every head over the cache positions 0 .. pos0+T-1. q is [H][T] (head h's
  // features at its kv head's lanes). Returns the int8 output [T][H], head h's values at the
  // same lanes (the Wo rows are placed to match). Heads go in batches of consecutive heads of
  // one kv head, which share its K and V tiles in the MXM and one softmax pass; a batch is as
  // many heads as keep its scores within kScoreWords.
  TensorId Attention(const MappedModel::Layer& L, TensorId q) {
    const int H = c_.n_heads;
    const int group = c_.group_size();
    const int kt_n = CeilDiv(pos0_ + T_, lanes_);
    int batch = group;
    while (batch > 1 && batch * T_ * kt_n * 4 > kScoreWords) batch /= 2;
    while (group % batch != 0) --batch;
    const TensorId attn = Temp("attn", kI8, T_ * H);
    for (int h0 = 0; h0 < H; h0 += batch) AttentionBatch(L, q, h0, batch, attn);
    return attn;
  }

  void AttentionBatch(const MappedModel::Layer& L, TensorId q, int h0, int heads, TensorId attn) {
    const LayerConstants& k = L.consts;
    const int H = c_.n_heads;
    const int rows = heads * T_;  // query rows of the batch, head-major
    const int keys = pos0_ + T_;
    const int kt_n = CeilDiv(keys, lanes_);
    const int seq = c_.seq_len;
    const int lanes = lanes_;
    const HeadPlace hp = PlaceHead(c_, lanes_, h0);
    const std::string p = fmt::format("heads{}.", h0);
    const int q0 = h0 * T_;  // first q vector of the batch
    // Scores s[r][nt] = f32(q . k) * qk_scale + mask, fp32 [rows][KT].
    const TensorId s = Temp(p + "scores", kF32, rows * kt_n);
    {
      MatmulSpec spec;
      spec.name = p + "qk";
      spec.rows = rows;
      spec.tiles_k = 1;
      spec.tiles_n = kt_n;
      const MemTensor qt = mem_.tensor(q);
      spec.x = [qt, q0](int m, int) { return qt.Loc(0, q0 + m); };
      const MemTensor kc = mem_.tensor(L.k_cache);
      const int base = hp.kv_tile * seq;
      spec.w = [kc, base, lanes, seq](int, int nt, int r) {
        return kc.Loc(0, base + std::min(nt * lanes + r, seq - 1));
      };
      spec.transposed = true;
      // Valid lanes of key tile nt for row i*T + m: position pos0+m and every key before it
      // (decoder), or every key of the call (encoder). Iteration u = nt * rows + i*T + m.
      IndexMap mask = c_.is_decoder()
                          ? IndexMap{.add = pos0_ + 1, .mod = T_, .div2 = rows, .mul2 = -lanes_}
                          : IndexMap{.add = keys, .mul = 0, .div2 = rows, .mul2 = -lanes_};
      mask.lo = 0;
      mask.hi = lanes_;
      VGraph g;
      const int sc = g.Mul(g.I32ToF32(g.Input(Acc())), g.ConstF32(k.qk_scale));
      g.Output(g.Add(sc, g.Input(In(m_.masks, mask, kF32))), s, RowTile(rows, kt_n));
      eng_.RunMatmul(spec, g, kChunk);
    }
    // Row maximum, in every lane; e = q8(Exp(s - max) * 127), int8 [rows][KT], one pass per
    // key tile (so every index is affine).
    const TensorId mx = RowReduce(s, rows, kt_n, isa::Op::kVmax, p + "max");
    const TensorId e = Temp(p + "e", kI8, rows * kt_n);
    for (int kt = 0; kt < kt_n; ++kt) {
      VGraph g;
      const int d = g.Sub(g.Input(In(s, IndexMap{.add = kt, .mul = kt_n}, kF32)),
                          g.Input(In(mx, IndexMap::Identity(), kF32)));
      const int ex = g.Func(vxm::Func::kExp, d);
      g.Output(g.F32ToI8(g.Mul(ex, g.ConstF32(127.0f))), e, IndexMap{.add = kt, .mul = kt_n});
      eng_.RunGraph(g, rows, kChunk);
    }
    mem_.Free(mx);
    mem_.Free(s);
    const MemTensor et = mem_.tensor(e);
    auto e_word = [et, kt_n](int m, int kt) { return et.Loc(0, m * kt_n + kt); };
    // rs = Reciprocal(f32(sum e)) * pv_scale: the sum from the MXM with all-ones weights.
    const TensorId rs = Temp(p + "rs", kF32, rows);
    {
      MatmulSpec spec;
      spec.name = p + "den";
      spec.rows = rows;
      spec.tiles_k = kt_n;
      spec.tiles_n = 1;
      spec.x = e_word;
      const WordLoc one = mem_.tensor(m_.ones).Loc(0, 0);
      spec.w = [one](int, int, int) { return one; };
      VGraph g;
      const int den = g.I32ToF32(g.Input(Acc()));
      g.Output(g.Mul(g.Func(vxm::Func::kReciprocal, den), g.ConstF32(k.pv_scale)), rs,
               IndexMap::Identity());
      eng_.RunMatmul(spec, g, kChunk);
    }
    // attn = q8(f32(e V) * rs).
    {
      MatmulSpec spec;
      spec.name = p + "pv";
      spec.rows = rows;
      spec.tiles_k = kt_n;
      spec.tiles_n = 1;
      spec.x = e_word;
      const MemTensor vc = mem_.tensor(L.v_cache);
      const int base = hp.kv_tile * seq;
      spec.w = [vc, base, lanes, seq](int kt, int, int r) {
        return vc.Loc(0, base + std::min(kt * lanes + r, seq - 1));
      };
      VGraph g;
      const int o = g.Mul(g.I32ToF32(g.Input(Acc())), g.Input(In(rs, IndexMap::Identity(), kF32)));
      // Row i*T + m is head h0 + i, token m: attn vector m*H + h0 + i.
      g.Output(g.F32ToI8(o), attn, IndexMap{.add = h0, .mod = T_, .mul = H, .div2 = T_, .mul2 = 1});
      eng_.RunMatmul(spec, g, kChunk);
    }
    mem_.Free(rs);
    mem_.Free(e);
  }

  void Encoder(const MappedModel::Layer& L, TensorId x) {
    const LayerConstants& k = L.consts;
    const int H = c_.n_heads;
    const TensorId h = Dequant(x, k.in_scale, "h", row0_ * nd_);
    // q, k, v = q8(f32(x W) * mul + add).
    const TensorId q = Temp("q", kI8, H * T_);
    auto projection = [&](const MappedModel::Matrix& w, TensorId mul, TensorId add, TensorId out,
                          int out_stride, const char* name) {
      std::vector<VGraph> epi(w.tiles_n);
      for (int nt = 0; nt < w.tiles_n; ++nt) {
        VGraph& g = epi[nt];
        const int f =
            g.Add(g.Mul(g.I32ToF32(g.Input(Acc())), g.Input(In(mul, IndexMap::Constant(nt), kF32))),
                  g.Input(In(add, IndexMap::Constant(nt), kF32)));
        g.Output(g.F32ToI8(f), out, IndexMap::Identity(nt * out_stride - nt * T_));
      }
      Matmul(Spec(name, x, nd_, w, row0_), epi);
    };
    projection(L.wq, L.q_mul, L.q_add, q, T_, "wq");
    projection(L.wk, L.k_mul, L.k_add, L.k_cache, c_.seq_len, "wk");
    projection(L.wv, L.v_mul, L.v_add, L.v_cache, c_.seq_len, "wv");
    const TensorId attn = Attention(L, q);
    mem_.Free(q);
    // h1 = h + ((f32(attn Wo) * o_mul) + o_add).
    const TensorId h1 = Temp("h1", kF32, T_ * nd_);
    {
      std::vector<VGraph> epi(nd_);
      for (int nt = 0; nt < nd_; ++nt) {
        VGraph& g = epi[nt];
        const int proj = g.Add(
            g.Mul(g.I32ToF32(g.Input(Acc())), g.Input(In(L.o_mul, IndexMap::Constant(nt), kF32))),
            g.Input(In(L.o_add, IndexMap::Constant(nt), kF32)));
        g.Output(g.Add(proj, g.Input(In(h, RowTile(T_, nd_), kF32))), h1, RowTile(T_, nd_));
      }
      Matmul(Spec("wo", attn, H, L.wo), epi);
    }
    mem_.Free(attn);
    mem_.Free(h);
    const TensorId h1q = Temp("h1_q", kI8, T_ * nd_);
    Norm(h1, k, L.norm1_gain, L.norm1_bias, h1q, "norm1");
    mem_.Free(h1);
    const TensorId hq = Dequant(h1q, k.h1_scale, "h1_dq");
    const int nf = CeilDiv(c_.ffn_dim, lanes_);
    // u = f32(h1q W1) * w1_mul + w1_add; mid = q8(Gelu(u) * ffn_mid_inv) over every vector.
    // mid = q8(Gelu(f32(h1q W1) * w1_mul + w1_add) * ffn_mid_inv): in W1's epilogue (fused) or
    // as its own pass over every vector after W1.
    const TensorId mid = Temp("ffn_mid", kI8, T_ * nf);
    {
      const TensorId u = fuse_activation_ ? -1 : Temp("ffn_u", kF32, T_ * nf);
      std::vector<VGraph> epi(nf);
      for (int nt = 0; nt < nf; ++nt) {
        VGraph& g = epi[nt];
        const int v = g.Add(
            g.Mul(g.I32ToF32(g.Input(Acc())), g.Input(In(L.w1_mul, IndexMap::Constant(nt), kF32))),
            g.Input(In(L.w1_add, IndexMap::Constant(nt), kF32)));
        if (fuse_activation_) {
          g.Output(g.F32ToI8(g.Mul(g.Func(vxm::Func::kGelu, v), g.ConstF32(k.ffn_mid_inv))), mid,
                   RowTile(T_, nf));
        } else {
          g.Output(v, u, RowTile(T_, nf));
        }
      }
      Matmul(Spec("w1", h1q, nd_, L.w1), epi);
      if (!fuse_activation_) {
        VGraph g;
        const int gelu = g.Func(vxm::Func::kGelu, g.Input(In(u, IndexMap::Identity(), kF32)));
        g.Output(g.F32ToI8(g.Mul(gelu, g.ConstF32(k.ffn_mid_inv))), mid, IndexMap::Identity());
        eng_.RunGraph(g, T_ * nf, kChunk);
        mem_.Free(u);
      }
    }
    mem_.Free(h1q);
    // h2 = f32(h1q) * h1_scale + ((f32(mid W2) * w2_mul) + w2_add); out = LayerNorm(h2).
    const TensorId h2 = Temp("h2", kF32, T_ * nd_);
    {
      std::vector<VGraph> epi(nd_);
      for (int nt = 0; nt < nd_; ++nt) {
        VGraph& g = epi[nt];
        const int ffn = g.Add(
            g.Mul(g.I32ToF32(g.Input(Acc())), g.Input(In(L.w2_mul, IndexMap::Constant(nt), kF32))),
            g.Input(In(L.w2_add, IndexMap::Constant(nt), kF32)));
        g.Output(g.Add(ffn, g.Input(In(hq, RowTile(T_, nd_), kF32))), h2, RowTile(T_, nd_));
      }
      Matmul(Spec("w2", mid, nf, L.w2), epi);
    }
    mem_.Free(mid);
    mem_.Free(hq);
    Norm(h2, k, L.norm2_gain, L.norm2_bias, L.out, "norm2", row0_ * nd_);
    mem_.Free(h2);
  }

 private:
  const bool fuse_activation_;
  const MappedModel& m_;
  const ModelConfig& c_;
  Engine& eng_;
  MemPlan& mem_;
  const int lanes_;
  const int nd_;
  const int T_;
  const int pos0_;
  const int row0_;
};

// MEM words one fp32 activation tensor of a prefill chunk may take ([rows][widest tiles]): the
// chunk is halved until it fits (an eighth of the default core's MEM).
constexpr int kActivationWords = 1024;

// Rows of one prefill run: one half of the accumulators (the matmul rows of a block), halved
// until an fp32 activation of the chunk fits kActivationWords.
int PrefillChunk(const MappedModel& model) {
  const ModelConfig& c = model.golden.config;
  const int widest = std::max({CeilDiv(c.ffn_dim, model.config.lanes), model.d_tiles(), 1});
  int chunk = std::max(1, model.config.acc_depth / 2);
  while (chunk > 1 && chunk * widest * 4 > kActivationWords) chunk /= 2;
  return chunk;
}

int LongestQueue(const Program& program) {
  size_t longest = 0;
  for (const auto& queue : program.queues) longest = std::max(longest, queue.size());
  return static_cast<int>(longest);
}

CompiledRun CompileWith(const MappedModel& model, int tokens, int pos0, const std::string& what,
                        bool fuse_activation) {
  CompiledRun run;
  run.what = what;
  run.tokens = tokens;
  run.pos0 = pos0;
  MemPlan mem = model.mem;
  Engine eng(model.config, mem);
  for (int l = 0; l < model.golden.config.n_layers; ++l) {
    LayerCompiler lc(model, eng, tokens, pos0, 0, fuse_activation);
    lc.Layer(l);
  }
  run.program = eng.Finish();
  run.predicted_cycles = run.program.PredictedCycles();
  run.stats = eng.stats();
  run.weight_rows = eng.stats().lw;
  return run;
}

// Compiles the run with the FFN activation fused into W1's epilogue and as its own pass, and
// keeps the schedule that fits the queues in fewer cycles (the predictions are exact, so this
// is a measured choice: fusing lengthens W1's epilogue, which tends to pay off for many rows
// and to cost for one).
CompiledRun Compile(const MappedModel& model, int tokens, int pos0, std::string what) {
  CompiledRun best = CompileWith(model, tokens, pos0, what, false);
  CompiledRun fused = CompileWith(model, tokens, pos0, what, true);
  const int depth = model.config.queue_depth;
  auto key = [&](const CompiledRun& r) {
    return std::make_pair(LongestQueue(r.program) > depth, r.predicted_cycles);
  };
  if (key(fused) < key(best)) best = std::move(fused);
  return best;
}

}  // namespace

int MappedModel::d_tiles() const { return CeilDiv(golden.config.d_model, config.lanes); }
int MappedModel::kv_tiles() const { return CeilDiv(golden.config.kv_dim(), config.lanes); }

MappedModel MapModel(const CoreConfig& config, const GoldenModel& golden) {
  config.Validate();
  const ModelConfig& c = golden.config;
  ValidateModelConfig(c);
  auto reject = [&](const std::string& why) {
    throw Error(
        fmt::format("model '{}' cannot be mapped onto config '{}': {}", c.name, config.name, why));
  };
  if (config.mxm_dim != config.lanes) {
    reject(fmt::format("the compiler needs MxmDim == NumLanes (this core: {} and {})",
                       config.mxm_dim, config.lanes));
  }
  if (c.reduce_lanes != config.lanes) {
    reject(
        fmt::format("the model's reduction width reduce_lanes = {} must equal the core's "
                    "NumLanes = {}",
                    c.reduce_lanes, config.lanes));
  }
  if (c.head_dim > config.lanes || config.lanes % c.head_dim != 0) {
    reject(fmt::format("head_dim = {} must divide NumLanes = {} (a head lives in one vector)",
                       c.head_dim, config.lanes));
  }
  if (config.mem_slices < 4) {
    reject(
        fmt::format("it needs at least 4 MEM slices (an fp32 vector's four byte planes are read "
                    "in one cycle), the core has {}",
                    config.mem_slices));
  }
  if (config.vxm_alus < 2) {
    reject(fmt::format("it needs at least 2 VXM ALUs, the core has {}", config.vxm_alus));
  }
  if (config.streams < 8) {
    reject(
        fmt::format("it needs at least 8 streams per direction, the core has {}", config.streams));
  }
  MappedModel m(config, golden);
  Mapper(m).Run();
  return m;
}

std::vector<CompiledRun> CompilePrefill(const MappedModel& model, int tokens) {
  const ModelConfig& c = model.golden.config;
  if (tokens < 1 || tokens > c.seq_len) {
    throw Error(fmt::format("model '{}': a prefill takes 1 to seq_len = {} tokens, not {}", c.name,
                            c.seq_len, tokens));
  }
  // Long prompts go through in chunks of rows, one run each (each row only attends to the cache
  // up to itself, so this gives the same bits as one pass): a chunk's activations fit MEM, its
  // matmul rows one half of the accumulators and its program the queues.
  // A chunk whose program outgrows the instruction queues is halved as well (the attention of
  // the last chunk, over the longest cache, has the longest program).
  for (int chunk = PrefillChunk(model);; chunk /= 2) {
    std::vector<CompiledRun> runs;
    bool fits = true;
    for (int r0 = 0; r0 < tokens && fits; r0 += chunk) {
      const int rows = std::min(chunk, tokens - r0);
      runs.push_back(Compile(model, rows, r0,
                             rows == tokens
                                 ? fmt::format("prefill of {} tokens", tokens)
                                 : fmt::format("prefill of tokens {}..{}", r0, r0 + rows - 1)));
      fits = LongestQueue(runs.back().program) <= model.config.queue_depth;
    }
    if (fits || chunk == 1) {
      for (const CompiledRun& run : runs) run.program.CheckFits(model.config);
      return runs;
    }
  }
}

CompiledRun CompileDecode(const MappedModel& model, int pos) {
  const ModelConfig& c = model.golden.config;
  if (!c.is_decoder()) {
    throw Error(fmt::format("model '{}' is an encoder; only decoders decode", c.name));
  }
  if (pos < 1 || pos >= c.seq_len) {
    throw Error(fmt::format(
        "model '{}': decode position {} is outside 1..{} (seq_len = {} is the KV-cache size)",
        c.name, pos, c.seq_len - 1, c.seq_len));
  }
  CompiledRun run = Compile(model, 1, pos, fmt::format("decode at position {}", pos));
  run.program.CheckFits(model.config);
  return run;
}

void LoadModelImage(HostBus& bus, const MappedModel& model) {
  for (const MemWord& w : model.image) WriteMemWord(bus, w.loc.slice, w.loc.addr, w.lanes);
}

void WriteInput(HostBus& bus, const MappedModel& model, const Int8Tensor& x) {
  const int lanes = model.config.lanes;
  const int nd = model.d_tiles();
  const MemTensor& t = model.mem.tensor(model.input);
  for (int m = 0; m < x.rows; ++m) {
    for (int j = 0; j < nd; ++j) {
      std::vector<uint8_t> w(lanes, 0);
      for (int l = 0; l < lanes && j * lanes + l < x.cols; ++l) {
        w[l] = static_cast<uint8_t>(x.at(m, j * lanes + l));
      }
      const WordLoc loc = t.Loc(0, m * nd + j);
      WriteMemWord(bus, loc.slice, loc.addr, w);
    }
  }
}

Int8Tensor ReadLayerOutput(HostBus& bus, const MappedModel& model, int layer, int tokens) {
  const int lanes = model.config.lanes;
  const int nd = model.d_tiles();
  const int d = model.golden.config.d_model;
  const MemTensor& t = model.mem.tensor(model.layers.at(layer).out);
  Int8Tensor out(tokens, d);
  for (int m = 0; m < tokens; ++m) {
    for (int j = 0; j < nd; ++j) {
      const WordLoc loc = t.Loc(0, m * nd + j);
      const std::vector<uint8_t> w = ReadMemWord(bus, loc.slice, loc.addr);
      for (int l = 0; l < lanes && j * lanes + l < d; ++l) {
        out.at(m, j * lanes + l) = static_cast<int8_t>(w[l]);
      }
    }
  }
  return out;
}

void ReadKvCache(HostBus& bus, const MappedModel& model, int layer, int positions, Int8Tensor& k,
                 Int8Tensor& v) {
  const int lanes = model.config.lanes;
  const ModelConfig& c = model.golden.config;
  const int nkv = model.kv_tiles();
  k = Int8Tensor(positions, c.kv_dim());
  v = Int8Tensor(positions, c.kv_dim());
  for (int which = 0; which < 2; ++which) {
    const MemTensor& t = model.mem.tensor(which == 0 ? model.layers.at(layer).k_cache
                                                     : model.layers.at(layer).v_cache);
    Int8Tensor& out = which == 0 ? k : v;
    for (int j = 0; j < nkv; ++j) {
      for (int p = 0; p < positions; ++p) {
        const WordLoc loc = t.Loc(0, j * c.seq_len + p);
        const std::vector<uint8_t> w = ReadMemWord(bus, loc.slice, loc.addr);
        for (int l = 0; l < lanes && j * lanes + l < c.kv_dim(); ++l) {
          out.at(p, j * lanes + l) = static_cast<int8_t>(w[l]);
        }
      }
    }
  }
}

}  // namespace tinylpu
