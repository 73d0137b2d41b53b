package nlbatch

import "encoding/binary"

// Attrs calls fn with the type and payload of each attribute in buf (a message body after its
// fixed header, or a nested attribute's payload), stopping at the first malformed one. The
// nested flag (NLA_F_NESTED) and the byte-order flag are masked off the type.
func Attrs(buf []byte, fn func(typ uint16, data []byte)) {
	for len(buf) >= attrHeader {
		l := int(binary.NativeEndian.Uint16(buf[0:]))
		if l < attrHeader || l > len(buf) {
			return
		}
		fn(binary.NativeEndian.Uint16(buf[2:])&0x3fff, buf[attrHeader:l])
		buf = buf[min(align(l), len(buf)):]
	}
}
