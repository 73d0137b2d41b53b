package harness

import (
	"fmt"
	"io"
)

// cpioWriter writes a cpio archive in the "newc" format the kernel unpacks into its initial rootfs.
type cpioWriter struct {
	w     io.Writer
	ino   uint32
	off   int64
	err   error
	names map[string]bool
}

func newCPIOWriter(w io.Writer) *cpioWriter {
	return &cpioWriter{w: w, ino: 1, names: map[string]bool{}}
}

const (
	modeDir     = 0o040000
	modeFile    = 0o100000
	modeCharDev = 0o020000
	modeSymlink = 0o120000
)

// entry writes one header + name + data, each padded to 4 bytes as newc requires.
func (c *cpioWriter) entry(name string, mode uint32, major, minor uint32, data []byte) {
	if c.err != nil {
		return
	}
	if c.names[name] {
		c.err = fmt.Errorf("cpio: duplicate entry %q", name)
		return
	}
	c.names[name] = true
	nlink := uint32(1)
	if mode&0o170000 == modeDir {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, major, minor, len(name)+1, 0)
	c.ino++
	c.write([]byte(hdr))
	c.write(append([]byte(name), 0))
	c.pad()
	c.write(data)
	c.pad()
}

func (c *cpioWriter) write(b []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(b)
	c.off += int64(n)
	c.err = err
}

func (c *cpioWriter) pad() {
	if rem := c.off % 4; rem != 0 {
		c.write(make([]byte, 4-rem))
	}
}

// Dir adds a directory.
func (c *cpioWriter) Dir(name string) { c.entry(name, modeDir|0o755, 0, 0, nil) }

// File adds a regular file with the given permission bits.
func (c *cpioWriter) File(name string, perm uint32, data []byte) {
	c.entry(name, modeFile|perm, 0, 0, data)
}

// Symlink adds a symbolic link to target (taken as is: an absolute target resolves inside the guest).
func (c *cpioWriter) Symlink(name, target string) {
	c.entry(name, modeSymlink|0o777, 0, 0, []byte(target))
}

// CharDev adds a character device node; /dev/console must exist before devtmpfs is mounted, because
// the kernel opens it for init's stdio and Debian's kernel does not auto-mount devtmpfs.
func (c *cpioWriter) CharDev(name string, major, minor uint32) {
	c.entry(name, modeCharDev|0o600, major, minor, nil)
}

// Close writes the trailer.
func (c *cpioWriter) Close() error {
	c.entry("TRAILER!!!", 0, 0, 0, nil)
	return c.err
}
