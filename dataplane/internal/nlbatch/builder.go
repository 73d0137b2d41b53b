package nlbatch

import "encoding/binary"

// Netlink header sizes and flags (include/uapi/linux/netlink.h). They are spelled out here, not
// taken from x/sys/unix, so the builder is pure, portable code with table tests on any OS.
const (
	headerLen  = 16 // struct nlmsghdr
	attrHeader = 4  // struct nlattr

	FlagRequest = 0x1   // NLM_F_REQUEST
	FlagAck     = 0x4   // NLM_F_ACK
	FlagExcl    = 0x200 // NLM_F_EXCL
	FlagCreate  = 0x400 // NLM_F_CREATE

	typeError = 0x2 // NLMSG_ERROR
)

// align rounds n up to the netlink alignment (NLMSG_ALIGN / NLA_ALIGN: 4 bytes).
func align(n int) int { return (n + 3) &^ 3 }

// Builder appends netlink messages to one buffer. Begin starts a message, the attribute methods
// fill it, End closes it; nested attributes are opened with Nest and closed with EndNest.
// Integers are in host byte order unless the method says big-endian (network order), as netlink
// expects.
type Builder struct {
	buf   []byte
	start int   // offset of the open message
	nests []int // offsets of the open nested attributes
}

// Begin starts a message with the given type, flags and sequence number.
func (b *Builder) Begin(typ, flags uint16, seq uint32) {
	b.start = len(b.buf)
	var h [headerLen]byte
	binary.NativeEndian.PutUint16(h[4:], typ)
	binary.NativeEndian.PutUint16(h[6:], flags)
	binary.NativeEndian.PutUint32(h[8:], seq)
	// nlmsg_len is patched by End; nlmsg_pid 0 lets the kernel fill in the sender's port.
	b.buf = append(b.buf, h[:]...)
}

// Fixed appends a fixed-size family header (struct genlmsghdr, struct ifaddrmsg, ...), padded.
func (b *Builder) Fixed(p []byte) {
	b.buf = append(b.buf, p...)
	b.pad()
}

// Attr appends an attribute with the given payload, padded.
func (b *Builder) Attr(typ uint16, data []byte) {
	var h [attrHeader]byte
	binary.NativeEndian.PutUint16(h[0:], uint16(attrHeader+len(data)))
	binary.NativeEndian.PutUint16(h[2:], typ)
	b.buf = append(append(b.buf, h[:]...), data...)
	b.pad()
}

// U16 appends a 16-bit attribute in host order.
func (b *Builder) U16(typ, v uint16) {
	var d [2]byte
	binary.NativeEndian.PutUint16(d[:], v)
	b.Attr(typ, d[:])
}

// BE16 appends a 16-bit attribute in network order (ports).
func (b *Builder) BE16(typ, v uint16) {
	var d [2]byte
	binary.BigEndian.PutUint16(d[:], v)
	b.Attr(typ, d[:])
}

// U32 appends a 32-bit attribute in host order.
func (b *Builder) U32(typ uint16, v uint32) {
	var d [4]byte
	binary.NativeEndian.PutUint32(d[:], v)
	b.Attr(typ, d[:])
}

// String appends a NUL-terminated string attribute.
func (b *Builder) String(typ uint16, s string) {
	d := make([]byte, len(s)+1)
	copy(d, s)
	b.Attr(typ, d)
}

// Nest opens a nested attribute; its length is set by EndNest.
func (b *Builder) Nest(typ uint16) {
	b.nests = append(b.nests, len(b.buf))
	var h [attrHeader]byte
	binary.NativeEndian.PutUint16(h[2:], typ)
	b.buf = append(b.buf, h[:]...)
}

// EndNest closes the innermost open nested attribute.
func (b *Builder) EndNest() {
	at := b.nests[len(b.nests)-1]
	b.nests = b.nests[:len(b.nests)-1]
	binary.NativeEndian.PutUint16(b.buf[at:], uint16(len(b.buf)-at))
}

// End closes the message begun last.
func (b *Builder) End() {
	binary.NativeEndian.PutUint32(b.buf[b.start:], uint32(len(b.buf)-b.start))
}

// Bytes returns the messages built so far.
func (b *Builder) Bytes() []byte { return b.buf }

// Reset empties the buffer, keeping its memory.
func (b *Builder) Reset() {
	b.buf = b.buf[:0]
	b.nests = b.nests[:0]
}

func (b *Builder) pad() {
	for len(b.buf)%4 != 0 {
		b.buf = append(b.buf, 0)
	}
}

// Answer is the kernel's answer to one request: an NLMSG_ERROR message with error code Errno
// (0 is an acknowledgement of success).
type Answer struct {
	Seq   uint32
	Errno int32 // the negated kernel error: 0 or a positive errno
}

// ParseAnswers returns the NLMSG_ERROR messages in buf (what one recvmsg returned). Other message
// types are skipped; a truncated trailing message ends the parse.
func ParseAnswers(buf []byte) []Answer {
	var out []Answer
	for len(buf) >= headerLen {
		l := int(binary.NativeEndian.Uint32(buf[0:]))
		if l < headerLen || l > len(buf) {
			break
		}
		typ := binary.NativeEndian.Uint16(buf[4:])
		if typ == typeError && l >= headerLen+4 {
			code := int32(binary.NativeEndian.Uint32(buf[headerLen:]))
			out = append(out, Answer{Seq: binary.NativeEndian.Uint32(buf[8:]), Errno: -code})
		}
		buf = buf[min(align(l), len(buf)):]
	}
	return out
}
