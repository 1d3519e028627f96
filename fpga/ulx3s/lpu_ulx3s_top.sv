// Board top for the ULX3S (Lattice ECP5 LFE5U-85F): a PLL, the pins and lpu_uart_top.
//
// The ECP5 PLL (EHXPLLL) makes the core clock from the 25 MHz oscillator:
// 25 MHz * PllClkfbDiv / PllClkiDiv, with the VCO at that times PllClkopDiv (400-800 MHz). The
// defaults give 12.5 MHz, below the core's Fmax on this device (docs/fpga.md, "Timing");
// `yowasp-ecppll -i 25 -o MHZ` prints the dividers for another frequency. The serial line
// (FTDI USB serial, 115200 baud 8N1) and the host bridge timeout follow the core clock. The
// PWR button (btn_ni[0], low when pressed) resets everything, and so does a PLL out of lock.
// Pins: fpga/ulx3s/ulx3s.lpf. Everything behind the PLL is lpu_uart_top, which the end-to-end
// test Verilates; this file is synthesised only (fpga/flow.py) and linted against a stand-in
// for the PLL primitive (fpga/lint/EHXPLLL.sv).

module lpu_ulx3s_top #(
  // Core configuration (defaults: the `fpga` configuration of sw/isa/isa.toml)
  parameter int unsigned NumLanes     = 4,
  parameter int unsigned NumStreams   = 4,
  parameter int unsigned NumMemSlices = 4,
  parameter int unsigned MemDepth     = 2048,
  parameter int unsigned MxmDim       = 4,
  parameter int unsigned AccDepth     = 64,
  parameter int unsigned QueueDepth   = 512,
  parameter int unsigned VxmAlus      = 1,
  // PLL dividers (ECP5 EHXPLLL): 25 MHz / 2 * 1 = 12.5 MHz, VCO 12.5 MHz * 48 = 600 MHz
  parameter int unsigned PllClkiDiv   = 2,
  parameter int unsigned PllClkfbDiv  = 1,
  parameter int unsigned PllClkopDiv  = 48
) (
  input  logic       clk_25mhz_i,
  input  logic [0:0] btn_ni,       // PWR button, active low
  input  logic       ftdi_txd_i,   // from the host (the FTDI's TXD)
  output logic       ftdi_rxd_o,   // to the host (the FTDI's RXD)
  output logic [7:0] led_o,
  output logic       wifi_gpio0_o  // held high: keeps the ESP32 from taking over the board
);

  localparam int unsigned RefClkHz   = 25_000_000;
  localparam int unsigned CoreClkHz  = RefClkHz / PllClkiDiv * PllClkfbDiv;
  localparam int unsigned VcoMhz     = CoreClkHz * PllClkopDiv / 1_000_000;
  localparam int unsigned Baud       = 115_200;
  localparam int unsigned ClksPerBit = (CoreClkHz + Baud / 2) / Baud;

  if (RefClkHz % PllClkiDiv != 0 || VcoMhz < 400 || VcoMhz > 800) begin : gen_bad_pll
    $error("lpu_ulx3s_top: PLL dividers out of range (VCO %0d MHz, 400-800 allowed)", VcoMhz);
  end
  // A UART receiver samples mid-bit, so the two ends' bit rates may differ by about 2%.
  localparam int unsigned BaudActual = CoreClkHz / ClksPerBit;
  if ((BaudActual > Baud ? BaudActual - Baud : Baud - BaudActual) * 50 > Baud) begin : gen_bad_baud
    $error("lpu_ulx3s_top: a %0d Hz core clock gives %0d baud, more than 2%% off %0d",
           CoreClkHz, BaudActual, Baud);
  end

  /////////
  // PLL //
  /////////

  logic       clk_core, pll_locked;
  logic [5:0] pll_unused;

  EHXPLLL #(
    .PLLRST_ENA      ("DISABLED"),
    .INTFB_WAKE      ("DISABLED"),
    .STDBY_ENABLE    ("DISABLED"),
    .DPHASE_SOURCE   ("DISABLED"),
    .OUTDIVIDER_MUXA ("DIVA"),
    .OUTDIVIDER_MUXB ("DIVB"),
    .OUTDIVIDER_MUXC ("DIVC"),
    .OUTDIVIDER_MUXD ("DIVD"),
    .CLKI_DIV        (PllClkiDiv),
    .CLKFB_DIV       (PllClkfbDiv),
    .CLKOP_ENABLE    ("ENABLED"),
    .CLKOP_DIV       (PllClkopDiv),
    .CLKOP_CPHASE    (PllClkopDiv / 2 - 1),
    .CLKOP_FPHASE    (0),
    .FEEDBK_PATH     ("CLKOP")
  ) u_pll (
    .CLKI         (clk_25mhz_i),
    .CLKFB        (clk_core),
    .PHASESEL1    (1'b0),
    .PHASESEL0    (1'b0),
    .PHASEDIR     (1'b1),
    .PHASESTEP    (1'b1),
    .PHASELOADREG (1'b1),
    .STDBY        (1'b0),
    .PLLWAKESYNC  (1'b0),
    .RST          (1'b0),
    .ENCLKOP      (1'b0),
    .ENCLKOS      (1'b0),
    .ENCLKOS2     (1'b0),
    .ENCLKOS3     (1'b0),
    .CLKOP        (clk_core),
    .CLKOS        (pll_unused[0]),
    .CLKOS2       (pll_unused[1]),
    .CLKOS3       (pll_unused[2]),
    .LOCK         (pll_locked),
    .INTLOCK      (pll_unused[3]),
    .REFCLK       (pll_unused[4]),
    .CLKINTFB     (pll_unused[5])
  );

  // The secondary outputs, the internal lock and feedback are not used.
  logic unused_pll;
  assign unused_pll = ^pll_unused;

  //////////////////////////
  // Core and host bridge //
  //////////////////////////

  lpu_uart_top #(
    .NumLanes      (NumLanes),
    .NumStreams    (NumStreams),
    .NumMemSlices  (NumMemSlices),
    .MemDepth      (MemDepth),
    .MxmDim        (MxmDim),
    .AccDepth      (AccDepth),
    .QueueDepth    (QueueDepth),
    .VxmAlus       (VxmAlus),
    .ClksPerBit    (ClksPerBit),
    .TimeoutCycles (CoreClkHz / 6)  // about 0.17 s
  ) u_board (
    .clk_i     (clk_core),
    .rst_ni    (btn_ni[0] && pll_locked),
    .uart_rx_i (ftdi_txd_i),
    .uart_tx_o (ftdi_rxd_o),
    .led_o     (led_o)
  );

  assign wifi_gpio0_o = 1'b1;

endmodule
