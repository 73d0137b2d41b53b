package nlbatch

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
)

func le16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestBuilder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(b *Builder)
		want  []byte
	}{{
		name:  "empty message: header only, length 16",
		build: func(b *Builder) { b.Begin(0x10, FlagRequest, 7); b.End() },
		want:  cat(le32(16), le16(0x10), le16(FlagRequest), le32(7), le32(0)),
	}, {
		name: "fixed header and a 1-byte attribute padded to 4",
		build: func(b *Builder) {
			b.Begin(20, 0, 1)
			b.Fixed([]byte{2, 1})
			b.Attr(3, []byte{9})
			b.End()
		},
		want: cat(le32(28), le16(20), le16(0), le32(1), le32(0), []byte{2, 1, 0, 0},
			le16(5), le16(3), []byte{9, 0, 0, 0}),
	}, {
		name: "nested attribute: its length covers its padded children; string NUL-terminated; big-endian port",
		build: func(b *Builder) {
			b.Begin(1, 0, 2)
			b.Nest(1)
			b.String(6, "rr")
			b.BE16(4, 80)
			b.U32(8, 0x01020304)
			b.EndNest()
			b.End()
		},
		want: cat(le32(16+4+8+8+8), le16(1), le16(0), le32(2), le32(0),
			le16(4+8+8+8), le16(1),
			le16(7), le16(6), []byte{'r', 'r', 0, 0},
			le16(6), le16(4), []byte{0, 80, 0, 0},
			le16(8), le16(8), le32(0x01020304)),
	}, {
		name: "two messages back to back, each with its own length",
		build: func(b *Builder) {
			b.Begin(1, 0, 1)
			b.U16(1, 5)
			b.End()
			b.Begin(2, 0, 2)
			b.End()
		},
		want: cat(le32(24), le16(1), le16(0), le32(1), le32(0), le16(6), le16(1), le16(5), []byte{0, 0},
			le32(16), le16(2), le16(0), le32(2), le32(0)),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var b Builder
			tc.build(&b)
			if !bytes.Equal(b.Bytes(), tc.want) {
				t.Fatalf("built\n%x\nwant\n%x", b.Bytes(), tc.want)
			}
		})
	}
}

// answer is an NLMSG_ERROR message: header, error code, the request's header.
func answer(seq uint32, code int32) []byte {
	return cat(le32(36), le16(typeError), le16(0), le32(seq), le32(0), le32(uint32(code)),
		le32(16), le16(1), le16(0), le32(seq), le32(0))
}

func TestParseAnswers(t *testing.T) {
	other := cat(le32(20), le16(0x14), le16(0), le32(9), le32(0), le32(0)) // e.g. a notification
	for _, tc := range []struct {
		name string
		buf  []byte
		want []Answer
	}{
		{"nothing", nil, nil},
		{"an acknowledgement", answer(5, 0), []Answer{{Seq: 5}}},
		{"an error is the negated code", answer(6, -17), []Answer{{Seq: 6, Errno: 17}}},
		{"other message types are skipped", cat(other, answer(7, -2), answer(8, 0)), []Answer{{Seq: 7, Errno: 2}, {Seq: 8}}},
		{"a truncated trailing message ends the parse", cat(answer(1, 0), answer(2, 0)[:20]), []Answer{{Seq: 1}}},
		{"a length below the header size ends the parse", cat(le32(3), answer(1, 0)[4:]), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseAnswers(tc.buf); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseAnswers = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// Only the last message of a chunk asks for an acknowledgement; every message has NLM_F_REQUEST
// and its own sequence number.
func TestChunkAcksOnlyTheLast(t *testing.T) {
	var c Chunk
	for i := range 3 {
		c.Begin(i*10, 16, FlagCreate)
		c.U16(1, uint16(i))
		c.End()
	}
	buf := c.finish()
	var flags []uint16
	seqs := map[uint32]bool{}
	for off := 0; off < len(buf); {
		l := int(binary.NativeEndian.Uint32(buf[off:]))
		flags = append(flags, binary.NativeEndian.Uint16(buf[off+6:]))
		seqs[binary.NativeEndian.Uint32(buf[off+8:])] = true
		off += l
	}
	want := []uint16{FlagRequest | FlagCreate, FlagRequest | FlagCreate, FlagRequest | FlagCreate | FlagAck}
	if !reflect.DeepEqual(flags, want) || len(seqs) != 3 {
		t.Fatalf("flags %x (want %x), %d distinct sequence numbers (want 3)", flags, want, len(seqs))
	}
	if i := c.index(c.seqs[1]); i != 1 || c.owners[i] != 10 {
		t.Fatalf("index of the second message = %d (owner %d), want 1 (owner 10)", i, c.owners[i])
	}
	c.Reset()
	if c.Len() != 0 || len(c.Bytes()) != 0 {
		t.Fatal("Reset left messages")
	}
}

func TestAttrs(t *testing.T) {
	type attr struct {
		Typ  uint16
		Data []byte
	}
	var nested Builder
	nested.U16(1, 5)
	nested.Nest(2 | 0x8000) // NLA_F_NESTED is masked off
	nested.U32(3, 7)
	nested.EndNest()
	for _, tc := range []struct {
		name string
		buf  []byte
		want []attr
	}{
		{"nothing", nil, nil},
		{"padded attributes, nested flag masked", nested.Bytes(), []attr{{1, le16(5)}, {2, cat(le16(8), le16(3), le32(7))}}},
		{"a length past the end stops", cat(le16(6), le16(1), le16(5), []byte{0, 0}, le16(40), le16(2)), []attr{{1, le16(5)}}},
		{"a length below the header stops", cat(le16(2), le16(1)), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []attr
			Attrs(tc.buf, func(typ uint16, data []byte) { got = append(got, attr{typ, bytes.Clone(data)}) })
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Attrs = %+v, want %+v", got, tc.want)
			}
		})
	}
}
