; a small hand-written program: mem0 feeds a word to mem1 twice, with a stride
.queue mem0
    NOP 3
    READ 0, E2, stride=1
    REPEAT 1, 4
.queue mem1
    NOP 5
    WRITE 20, E2, stride=1
    REPEAT 1, 4
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
