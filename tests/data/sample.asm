; a small hand-written program: mem0 feeds a word to mem1 twice, with a stride
.queue mem0
    NOP 3
feed: READ 0, E2, stride=1
    REPEAT 1, 4
.queue mem1
    NOP 5
store:
    WRITE 20, E2, stride=1
    REPEAT 1, 4
    GATHER 4, W1, E6
    SCATTER 8, E3, W0
    IFETCH W5
    NOP 2
.queue mxmw
    LW W0
    IW
.queue mxma
    ABC 3, W1, acc
    ACC 0, E4
.queue sxm
    SHIFT W0, 3, E4
    SHIFT E1, 1, W2, group=2, down
    ROTATE W2, 7, W4, group=4
    PERMUTE W0, E5, E8
    DISTRIBUTE W1, W6, W8, group=2
    TRANSPOSE W3, W12, group=4
    NOP 15
    SELECT W0, E4, W9, E12, group=4
; the VXM: CONFIG and every op with its type suffix; vxm1 chains on vxm0's result
.queue vxm0
    CONFIG 0, 0x3f80
    CONFIG 1, 0x3f80
    CONFIG 2, 16
    VADD.f32 -, E0, IMM
    VSUB.i32 -, SELF, E4
    VMUL.i16 -, E0, IMM
    VMIN.i8 -, E1, SELF
    VMAX.f32 -, SELF, IMM
    VABS.i32 -, E0
    VNEG.f32 -, SELF
    VSHL.i32 -, SELF, IMM
    VSRA.i16 -, E2, IMM
    VSRL.i8 -, E3, IMM
    VAND.i32 -, SELF, IMM
    VOR.i16 -, SELF, E6
    VXOR.f32 -, SELF, IMM
    VEQ.i32 -, SELF, IMM
    VLT.f32 -, E0, IMM
    VLE.i8 -, E0, SELF
    VSEL.f32 -, E4, IMM
    VMOV.i16 W0, SELF
    VCVT.f32.i32 -, E0
    VCVT.i32.f32 -, SELF
    VCVT.i8.i32 W2, SELF
    VCVT.i32.i16 -, E0
    VCVT.i16.i32 -, SELF
    VCVT.i32.i8 -, E1
    VREQ.i8 W3, E8, E12
    VREQ.i16 -, SELF, IMM
.queue vxm1
    NOP 5
    VADD.i32 W4, PREV, IMM
