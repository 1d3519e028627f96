// Lint-only stand-in for the Lattice ECP5 PLL primitive that fpga/ulx3s/lpu_ulx3s_top.sv uses.
//
// Ports and parameters are those of the ECP5 cell (Yosys's lattice/cells_bb_ecp5.v); synthesis
// never reads this file, it maps the instance to the device's PLL. Here the output clock is the
// input clock and the PLL is always locked, so Verilator can lint the board top without the
// vendor library. Every parameter and most inputs are unused by design (waived in
// rtl/lint/verilator_waivers.vlt).

module EHXPLLL #(
  parameter int CLKI_DIV        = 1,
  parameter int CLKFB_DIV       = 1,
  parameter int CLKOP_DIV       = 8,
  parameter int CLKOP_CPHASE    = 0,
  parameter int CLKOP_FPHASE    = 0,
  parameter     CLKOP_ENABLE    = "ENABLED",
  parameter     FEEDBK_PATH     = "CLKOP",
  parameter     OUTDIVIDER_MUXA = "DIVA",
  parameter     OUTDIVIDER_MUXB = "DIVB",
  parameter     OUTDIVIDER_MUXC = "DIVC",
  parameter     OUTDIVIDER_MUXD = "DIVD",
  parameter     STDBY_ENABLE    = "DISABLED",
  parameter     DPHASE_SOURCE   = "DISABLED",
  parameter     PLLRST_ENA      = "DISABLED",
  parameter     INTFB_WAKE      = "DISABLED"
) (
  input  logic CLKI,
  input  logic CLKFB,
  input  logic PHASESEL1,
  input  logic PHASESEL0,
  input  logic PHASEDIR,
  input  logic PHASESTEP,
  input  logic PHASELOADREG,
  input  logic STDBY,
  input  logic PLLWAKESYNC,
  input  logic RST,
  input  logic ENCLKOP,
  input  logic ENCLKOS,
  input  logic ENCLKOS2,
  input  logic ENCLKOS3,
  output logic CLKOP,
  output logic CLKOS,
  output logic CLKOS2,
  output logic CLKOS3,
  output logic LOCK,
  output logic INTLOCK,
  output logic REFCLK,
  output logic CLKINTFB
);

  assign CLKOP    = CLKI;
  assign CLKOS    = CLKI;
  assign CLKOS2   = CLKI;
  assign CLKOS3   = CLKI;
  assign LOCK     = 1'b1;
  assign INTLOCK  = 1'b1;
  assign REFCLK   = CLKI;
  assign CLKINTFB = CLKI;

endmodule
