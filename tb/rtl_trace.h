// RtlTraceCollector: turns the DPI-C calls of rtl/lpu_tracer.sv into CycleTraces for a sink.
#pragma once

#include <cstdint>
#include <vector>

#include "sw/core/trace.h"

namespace tinylpu {

// Collects the trace of one Verilated model. Every Verilated configuration calls the same DPI
// functions (tb/rtl_trace.cc); while a model is evaluated, its harness makes the model's
// collector *active* on the calling thread (Activation), and the DPI calls go to it. With no
// active collector `lpu_trace_enabled()` is false and the tracer reports nothing, so a model
// without a sink pays one DPI call per run cycle.
//
// The tracer reports each cycle's events at the clock edge that ends the cycle and closes the
// cycle with `lpu_trace_cycle`; the finished CycleTrace waits here until the harness calls
// Deliver() after the evaluation, so a sink never runs inside the model's eval().
class RtlTraceCollector {
 public:
  // Activates `collector` (nullptr: none, tracing off) on this thread for this scope.
  class Activation {
   public:
    explicit Activation(RtlTraceCollector* collector);
    ~Activation();
    Activation(const Activation&) = delete;
    Activation& operator=(const Activation&) = delete;

   private:
    RtlTraceCollector* previous_;
  };

  // The sink that receives the finished cycles (nullptr: none). A cycle's events all arrive
  // within one evaluation, so between evaluations no cycle is half collected.
  void set_sink(TraceSink* sink) { sink_ = sink; }
  TraceSink* sink() const { return sink_; }

  // Hands the cycles finished since the last call to the sink, in order.
  void Deliver() {
    if (!finished_.empty()) DeliverFinished();
  }

  // The collector active on this thread (nullptr when none); used by the DPI functions.
  static RtlTraceCollector* Active();
  // The cycle being collected, and its end: the DPI functions' side.
  CycleTrace& current() { return current_; }
  void EndCycle(int64_t cycle);

 private:
  void DeliverFinished();

  TraceSink* sink_ = nullptr;
  CycleTrace current_;
  std::vector<CycleTrace> finished_;
};

}  // namespace tinylpu
