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
