package carbonapp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// The zip records this file reads itself, before archive/zip sees the file:
// enough to tell a truncated file from a corrupt one, to bound what
// archive/zip will allocate, and to compare local headers with the central
// directory (Carbon extracts with a streaming reader that trusts the local
// headers; depsync must see the same names Carbon will).
const (
	sigLocal    = 0x04034b50
	sigCentral  = 0x02014b50
	sigEnd      = 0x06054b50
	sigEnd64Loc = 0x07064b50
	sigEnd64    = 0x06064b50

	localLen    = 30
	centralLen  = 46
	endLen      = 22
	end64LocLen = 20
	end64Len    = 56

	maxCommentLen = 65535
	maxNameLen    = 4096 // PATH_MAX: a longer name cannot be extracted anyway
)

var localMagic = []byte("PK\x03\x04")

// endRecord is what the end of central directory record (and its zip64
// extension) says.
type endRecord struct {
	at      int64 // offset of the record that ends the directory: the zip64 end record if any, else the end record
	records uint64
	dirSize uint64
	dirOff  uint64
	disk    bool // the end record names another disk: a multi-part zip
}

func readFull(r io.ReaderAt, off int64, buf []byte) error {
	n, err := r.ReadAt(buf, off)
	if n == len(buf) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// findEnd looks for the end of central directory record the way archive/zip
// does: the last signature in the final 64 KiB + 22 bytes whose comment fits
// in the file. found is false when there is none: a truncated file, or not a
// zip at all.
func findEnd(r io.ReaderAt, size int64) (e *endRecord, found bool, err error) {
	n := int64(endLen + maxCommentLen)
	if n > size {
		n = size
	}
	buf := make([]byte, n)
	if err := readFull(r, size-n, buf); err != nil {
		return nil, false, readErr("cannot read the end of the file", err)
	}
	for i := len(buf) - endLen; i >= 0; i-- {
		b := buf[i:]
		if binary.LittleEndian.Uint32(b) != sigEnd {
			continue
		}
		if i+endLen+int(binary.LittleEndian.Uint16(b[20:])) > len(buf) {
			continue
		}
		e := &endRecord{
			at:      size - n + int64(i),
			records: uint64(binary.LittleEndian.Uint16(b[10:])),
			dirSize: uint64(binary.LittleEndian.Uint32(b[12:])),
			dirOff:  uint64(binary.LittleEndian.Uint32(b[16:])),
		}
		diskNbr, dirDisk := binary.LittleEndian.Uint16(b[4:]), binary.LittleEndian.Uint16(b[6:])
		e.disk = (diskNbr != 0 && diskNbr != 0xffff) || (dirDisk != 0 && dirDisk != 0xffff)
		if e.records == 0xffff || e.dirSize == 0xffffffff || e.dirOff == 0xffffffff {
			if err := readEnd64(r, e); err != nil {
				return nil, false, err
			}
		}
		return e, true, nil
	}
	return nil, false, nil
}

// readEnd64 reads the zip64 end record through its locator, just before the
// end record. Without a locator the 32-bit values stand (as in archive/zip).
func readEnd64(r io.ReaderAt, e *endRecord) error {
	locAt := e.at - end64LocLen
	if locAt < 0 {
		return nil
	}
	var loc [end64LocLen]byte
	if err := readFull(r, locAt, loc[:]); err != nil {
		return readErr("cannot read the zip64 end locator", err)
	}
	if binary.LittleEndian.Uint32(loc[:]) != sigEnd64Loc {
		return nil
	}
	off := binary.LittleEndian.Uint64(loc[8:])
	if off > uint64(locAt) || uint64(locAt)-off < end64Len {
		return errCorrupt("the zip64 end record is not where its locator says", nil)
	}
	var rec [end64Len]byte
	if err := readFull(r, int64(off), rec[:]); err != nil {
		return readErr("cannot read the zip64 end record", err)
	}
	if binary.LittleEndian.Uint32(rec[:]) != sigEnd64 {
		return errCorrupt("the zip64 end record is not where its locator says", nil)
	}
	e.at = int64(off)
	e.records = binary.LittleEndian.Uint64(rec[32:])
	e.dirSize = binary.LittleEndian.Uint64(rec[40:])
	e.dirOff = binary.LittleEndian.Uint64(rec[48:])
	return nil
}

// centralEntry is what depsync reads itself from a central directory record.
type centralEntry struct {
	name       string
	headerOff  int64
	compressed uint64
}

// readCentral walks the central directory e describes. It must hold exactly
// e.records records and fill exactly e.dirSize bytes: then archive/zip reads
// the same records and nothing more.
func readCentral(r io.ReaderAt, e *endRecord) ([]centralEntry, error) {
	dir := make([]byte, e.dirSize)
	if err := readFull(r, int64(e.dirOff), dir); err != nil {
		return nil, readErr("cannot read the central directory", err)
	}
	entries := make([]centralEntry, 0, e.records)
	for i := uint64(0); i < e.records; i++ {
		if len(dir) < centralLen || binary.LittleEndian.Uint32(dir) != sigCentral {
			return nil, errCorrupt("the central directory holds fewer records than its end record says", nil)
		}
		nameLen := int(binary.LittleEndian.Uint16(dir[28:]))
		extraLen := int(binary.LittleEndian.Uint16(dir[30:]))
		commentLen := int(binary.LittleEndian.Uint16(dir[32:]))
		recLen := centralLen + nameLen + extraLen + commentLen
		if len(dir) < recLen {
			return nil, errCorrupt("a central directory record runs past the directory", nil)
		}
		ce := centralEntry{
			name:       string(dir[centralLen : centralLen+nameLen]),
			compressed: uint64(binary.LittleEndian.Uint32(dir[20:])),
			headerOff:  int64(binary.LittleEndian.Uint32(dir[42:])),
		}
		uncompressed32 := binary.LittleEndian.Uint32(dir[24:])
		if ce.compressed == 0xffffffff || ce.headerOff == 0xffffffff || uncompressed32 == 0xffffffff {
			zip64Extra(dir[centralLen+nameLen:centralLen+nameLen+extraLen], uncompressed32, &ce)
		}
		entries = append(entries, ce)
		dir = dir[recLen:]
	}
	if len(dir) != 0 {
		return nil, errCorrupt("the central directory is larger than its records", nil)
	}
	return entries, nil
}

// zip64Extra applies the zip64 extended information extra field: each field
// whose 32-bit value is all ones is there, in order.
func zip64Extra(extra []byte, uncompressed32 uint32, ce *centralEntry) {
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if n > len(extra) {
			return
		}
		field := extra[:n]
		extra = extra[n:]
		if id != 0x0001 {
			continue
		}
		next := func() (uint64, bool) {
			if len(field) < 8 {
				return 0, false
			}
			v := binary.LittleEndian.Uint64(field)
			field = field[8:]
			return v, true
		}
		if uncompressed32 == 0xffffffff {
			if _, ok := next(); !ok {
				return
			}
		}
		if ce.compressed == 0xffffffff {
			v, ok := next()
			if !ok {
				return
			}
			ce.compressed = v
		}
		if ce.headerOff == 0xffffffff {
			v, ok := next()
			if !ok {
				return
			}
			ce.headerOff = int64(v)
		}
		return
	}
}

// checkLocal reads each entry's local header: it must be where the central
// directory says, name the same file, and no two entries may share bytes
// (overlapping entries are a zip-bomb trick, and a streaming extractor would
// see something else than the directory).
func checkLocal(r io.ReaderAt, entries []centralEntry, dirOff int64) error {
	type span struct {
		name       string
		start, end int64
	}
	spans := make([]span, 0, len(entries))
	hdr := make([]byte, localLen+maxNameLen)
	for _, ce := range entries {
		if ce.headerOff < 0 || ce.headerOff+localLen > dirOff {
			return errCorrupt("entry "+quote(ce.name)+": its local header is outside the file's data", nil)
		}
		h := hdr[:localLen]
		if err := readFull(r, ce.headerOff, h); err != nil {
			return readErr("entry "+quote(ce.name)+": cannot read its local header", err)
		}
		if binary.LittleEndian.Uint32(h) != sigLocal {
			return errCorrupt("entry "+quote(ce.name)+": no local header where the central directory says", nil)
		}
		nameLen := int64(binary.LittleEndian.Uint16(h[26:]))
		extraLen := int64(binary.LittleEndian.Uint16(h[28:]))
		if nameLen != int64(len(ce.name)) {
			return newErr(KindUnsafeEntry, ce.name, 0,
				"unsafe entry: its local header names another file than the central directory; Carbon would extract something else than depsync checked: rebuild the C-App")
		}
		if nameLen > 0 {
			var n []byte
			if nameLen <= maxNameLen {
				n = hdr[localLen : localLen+nameLen]
			} else {
				n = make([]byte, nameLen)
			}
			if err := readFull(r, ce.headerOff+localLen, n); err != nil {
				return readErr("entry "+quote(ce.name)+": cannot read its local header", err)
			}
			if string(n) != ce.name {
				return newErr(KindUnsafeEntry, ce.name, 0,
					"unsafe entry: its local header names %s, the central directory %s; Carbon would extract something else than depsync checked: rebuild the C-App",
					quote(string(n)), quote(ce.name))
			}
		}
		dataOff := ce.headerOff + localLen + nameLen + extraLen
		if ce.compressed > uint64(dirOff) || dataOff+int64(ce.compressed) > dirOff {
			return errCorrupt("entry "+quote(ce.name)+": its data runs into the central directory", nil)
		}
		spans = append(spans, span{ce.name, ce.headerOff, dataOff + int64(ce.compressed)})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return newErr(KindUnsafeEntry, spans[i].name, 0,
				"unsafe entry: it overlaps entry %s (a zip-bomb trick): rebuild the C-App", quote(spans[i-1].name))
		}
	}
	return nil
}

// readErr turns a failed read into a corrupt-zip error when the data is
// missing (the records point past the end), and keeps a real I/O error as is.
func readErr(what string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errCorrupt(what, nil)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func quote(s string) string { return strconv.Quote(s) }

func errCorrupt(what string, cause error) *Error {
	msg := "corrupt zip: " + what + ": the file is damaged (a text-mode transfer or a bad copy?); copy or build it again"
	if cause != nil && !errors.Is(cause, io.ErrUnexpectedEOF) {
		msg += " (" + cause.Error() + ")"
	}
	return &Error{Kind: KindNotZip, Msg: msg, Err: cause}
}
