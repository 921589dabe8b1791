"""Stage 0, shared by every stage: error types, atomic file writes, and problems (the report every command shares).

The stages of cmokit, each importing only the ones before it:
``core`` → ``package`` → ``validation`` → ``extraction`` → ``synthesis`` → ``presentation`` → ``cli``.
"""
