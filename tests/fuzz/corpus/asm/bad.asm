; deliberately broken: line 4 names a stream the core does not have
.queue mem0
    READ 0, W0
    READ 1, W99
