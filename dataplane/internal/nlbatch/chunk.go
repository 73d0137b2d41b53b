package nlbatch

import (
	"encoding/binary"
	"sync/atomic"
)

// MaxChunk bounds the messages sent in one sendmsg. Only failures and the last message are
// answered, but in the worst case (every message fails) every answer must fit in the socket's
// receive buffer or the kernel drops the overflow: 256 answers of ~1 KiB of skb truesize each
// stay under the default net.core.rmem_default (208 KiB).
const MaxChunk = 256

// seqCounter hands out sequence numbers; each is unique on its socket for a long while.
var seqCounter atomic.Uint32

// Chunk is up to MaxChunk requests in one buffer, each tagged with the caller's index.
type Chunk struct {
	Builder
	seqs   []uint32 // sequence number of each message, in order
	owners []int    // the caller's index of each message
	last   int      // offset of the last message
	rbuf   []byte   // receive buffer, allocated on the first Exec and kept
}

// Begin starts the next message; owner is the caller's index, which Exec's results are keyed by.
func (c *Chunk) Begin(owner int, typ, flags uint16) {
	seq := seqCounter.Add(1)
	c.last = len(c.buf)
	c.Builder.Begin(typ, flags|FlagRequest, seq)
	c.seqs = append(c.seqs, seq)
	c.owners = append(c.owners, owner)
}

// Len is the number of messages in the chunk.
func (c *Chunk) Len() int { return len(c.seqs) }

// Reset empties the chunk, keeping its memory.
func (c *Chunk) Reset() {
	c.Builder.Reset()
	c.seqs, c.owners = c.seqs[:0], c.owners[:0]
}

// finish asks for an acknowledgement of the last message (see the package comment) and returns
// the buffer to send.
func (c *Chunk) finish() []byte {
	flags := binary.NativeEndian.Uint16(c.buf[c.last+6:])
	binary.NativeEndian.PutUint16(c.buf[c.last+6:], flags|FlagAck)
	return c.buf
}

// index returns the position of the message with sequence number seq, or -1.
func (c *Chunk) index(seq uint32) int {
	for i, s := range c.seqs {
		if s == seq {
			return i
		}
	}
	return -1
}
