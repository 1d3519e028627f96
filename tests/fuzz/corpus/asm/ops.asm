.queue mem0
  NOP 3
  READ 7, W1, stride=-1
  REPEAT 2, 3
.queue mxma
  ABC 0, W0, acc
  ACC 1, E4
  SYNC
  NOTIFY
