// The audit's names, parsing and the text report.

#include <iomanip>
#include <sstream>

#include "audit/internal.hpp"

namespace gpurand::audit::detail {

std::string fmt_double(double x, int precision) {
  std::ostringstream s;
  s << std::setprecision(precision) << x;
  return s.str();
}

std::string fmt_ref(const thread_ref& t) {
  return "(block " + std::to_string(t.block) + ", thread " + std::to_string(t.thread) + ")";
}

}  // namespace gpurand::audit::detail

namespace gpurand::audit {

using namespace detail;

const char* to_string(dtype t) noexcept {
  switch (t) {
    case dtype::u32: return "u32";
    case dtype::f32: return "f32";
    case dtype::f64: return "f64";
  }
  return "?";
}

const char* to_string(value_model m) noexcept {
  switch (m) {
    case value_model::automatic: return "auto";
    case value_model::u32: return "u32";
    case value_model::uniform_f32: return "uniform_f32";
    case value_model::uniform_f64_32bit: return "uniform_f64_32bit";
    case value_model::uniform_f64_53bit: return "uniform_f64_53bit";
    case value_model::normal_f32: return "normal_f32";
    case value_model::normal_f64: return "normal_f64";
    case value_model::uniform_f64_mrg32k3a: return "uniform_f64_mrg32k3a";
  }
  return "?";
}

dtype parse_dtype(std::string_view text, std::string_view what) {
  for (dtype t : {dtype::u32, dtype::f32, dtype::f64})
    if (text == to_string(t)) return t;
  invalid(std::string(what) + ": expected u32, f32 or f64, got '" + std::string(text) + "'");
}

value_model parse_value_model(std::string_view text, std::string_view what) {
  for (value_model m :
       {value_model::automatic, value_model::u32, value_model::uniform_f32,
        value_model::uniform_f64_32bit, value_model::uniform_f64_53bit, value_model::normal_f32,
        value_model::normal_f64, value_model::uniform_f64_mrg32k3a})
    if (text == to_string(m)) return m;
  invalid(std::string(what) +
          ": expected auto, u32, uniform_f32, uniform_f64_32bit, uniform_f64_53bit, normal_f32, "
          "normal_f64 or uniform_f64_mrg32k3a, got '" +
          std::string(text) + "'");
}

std::size_t value_size(dtype t) noexcept { return t == dtype::f64 ? 8 : 4; }

std::string format(const report& r) {
  std::ostringstream o;
  const layout& s = r.shape;
  const u64 threads = s.blocks * s.threads_per_block;
  o << "gpurand audit: " << threads << " threads (" << s.blocks << " blocks x "
    << s.threads_per_block << " threads), " << s.per_thread << " values each, dtype "
    << to_string(s.type) << ", " << threads * s.per_thread << " values\n";
  o << "window: " << r.window << " values (" << r.window * value_size(s.type) * 8 << " bits)"
    << (r.used_gpu ? ", keys sorted on the GPU" : "") << "\n";

  if (!r.stream_checks_run) {
    o << "duplicate streams: skipped (" << s.per_thread
      << " values per thread is shorter than the window)\n";
    o << "overlapping streams: skipped\n";
  } else {
    auto more = [&](u64 total, std::size_t shown) {
      if (total > shown) o << "  ... and " << (total - shown) << " more\n";
    };
    if (r.duplicate_threads == 0) {
      o << "duplicate streams: none\n";
    } else {
      o << "duplicate streams: " << r.duplicate_threads
        << " thread(s) repeat the stream of a lower thread\n";
      for (const stream_match& m : r.duplicates)
        o << "  " << fmt_ref(m.b) << " == " << fmt_ref(m.a) << ": all " << m.length
          << " values, lag 0\n";
      more(r.duplicate_threads, r.duplicates.size());
    }
    if (r.matched_window_pairs == 0) {
      o << "overlapping streams: none\n";
    } else {
      o << "overlapping streams: " << r.overlap_runs << " run(s) of >= " << r.window
        << " equal values (" << r.matched_window_pairs << " equal window pairs"
        << (r.overlap_list_complete ? "" : "; some windows repeat > 16 times, listing a selection")
        << ")\n";
      for (const stream_match& m : r.overlaps)
        o << "  " << fmt_ref(m.b) << "[" << m.b_pos << "..] == " << fmt_ref(m.a) << "[" << m.a_pos
          << "..]: " << m.length << " values, lag " << m.lag
          << (m.a.global == m.b.global ? " (the thread repeats itself)" : "") << "\n";
      more(r.overlap_runs, r.overlaps.size());
    }
  }

  if (r.draw_checks_run) {
    o << "overlapping raw draws (recovered from normal pairs, " << r.draw_key_bits
      << " bits each, window " << r.draw_window << " draws): ";
    if (r.draw_matched_window_pairs == 0) {
      o << "none\n";
    } else {
      o << r.draw_overlap_runs << " run(s) (" << r.draw_matched_window_pairs
        << " equal window pairs"
        << (r.draw_overlap_list_complete ? ""
                                         : "; some windows repeat > 16 times, listing a selection")
        << ")\n";
      for (const stream_match& m : r.draw_overlaps)
        o << "  " << fmt_ref(m.b) << " draw " << m.b_pos << ".. == " << fmt_ref(m.a) << " draw "
          << m.a_pos << "..: " << m.length << " draws, lag " << m.lag << " raw draw(s)"
          << (m.a.global == m.b.global ? " (the thread repeats itself)" : "") << "\n";
      if (r.draw_overlap_runs > r.draw_overlaps.size())
        o << "  ... and " << (r.draw_overlap_runs - r.draw_overlaps.size()) << " more\n";
    }
  } else if (is_normal(r.values.model)) {
    o << "overlapping raw draws: skipped (streams too short for a window of 128 key bits, or "
         "no normal fits)\n";
  }

  const value_result& v = r.values;
  o << "duplicate values: " << v.equal_pairs << " equal pair(s) among " << v.values
    << " values; expected " << fmt_double(v.expected, 6) << " under model " << to_string(v.model)
    << (v.model_inferred ? " (inferred)" : "");
  if (is_normal(v.model))
    o << " with mean " << fmt_double(v.mean) << ", stddev " << fmt_double(v.stddev);
  o << "; p = " << fmt_double(v.p_value, 3) << (v.flagged ? " < " : " >= ") << "alpha "
    << fmt_double(v.alpha, 3) << (v.flagged ? ": EXCESS DUPLICATES" : "") << "\n";
  for (const value_pair& p : v.examples) {
    o << "  value 0x" << std::hex << std::setw(s.type == dtype::f64 ? 16 : 8) << std::setfill('0')
      << p.bits << std::dec << std::setfill(' ') << " (" << p.count << " times) at " << fmt_ref(p.a)
      << "[" << p.a_pos << "] and " << fmt_ref(p.b) << "[" << p.b_pos << "]\n";
  }
  o << "verdict: " << (r.clean() ? "clean" : "DEFECTS FOUND") << "\n";
  return o.str();
}

}  // namespace gpurand::audit
