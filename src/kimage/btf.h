/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel's type information: the `.BTF` section of a vmlinux (BPF Type Format, the kernel's
 * Documentation/bpf/btf.rst), read to find struct layouts (task_struct.thread.fpu,
 * fpu.last_cpu, pcpu_hot.top_of_stack, ...) from the image itself instead of tables per build.
 *
 * Layout: a header (magic 0xeB9F little-endian, version 1, flags, hdr_len, then type_off,
 * type_len, str_off, str_len relative to the end of the header), a type section of records
 * (struct btf_type: name_off, info, size_or_type, then kind-specific data) numbered from 1 in
 * order (id 0 is void), and a string section of NUL-terminated names.
 *
 * The bytes are untrusted: the header, every record's extent and every name offset are checked
 * when the view is opened (one O(n) pass that indexes where each record starts); type ids are
 * checked when followed, and chains of typedefs/qualifiers and nesting of anonymous members are
 * bounded (SE_BTF_MAX_DEPTH), so a cyclic typedef is an error, never a hang. The view borrows the
 * section's bytes: the se_vmlinux (and its buffer) must outlive it.
 */
#ifndef SE_KIMAGE_BTF_H
#define SE_KIMAGE_BTF_H

#include <stddef.h>
#include <stdint.h>

#include "kimage/vmlinux.h"

/** Bound on typedef/qualifier chains and on anonymous-member nesting. */
#define SE_BTF_MAX_DEPTH 32

typedef struct se_btf se_btf;

/**
 * Index the `.BTF` section of vm.
 * @return SE_OK (*out set; se_btf_free() it); SE_ERR_INVALID_ARG (NULL vm/out);
 *         SE_ERR_NOT_FOUND (no .BTF section); SE_ERR_FORMAT (malformed, with a message in err);
 *         SE_ERR_NOMEM.
 */
se_status se_btf_open(const se_vmlinux *vm, se_btf **out, char *err, size_t errlen);

/** se_btf_open() on raw section bytes data[0, len) (borrowed; tests and fuzzing). */
se_status se_btf_open_bytes(const uint8_t *data, size_t len, se_btf **out, char *err,
                            size_t errlen);

/** Number of type records (not counting void). */
uint32_t se_btf_type_count(const se_btf *b);

/**
 * Byte offset of the member named by a dotted path ("thread.fpu") inside the struct or union
 * called struct_name. Each component but the last must be a struct/union (seen through typedefs
 * and const/volatile/restrict/type tags), never a pointer; members of anonymous struct/union
 * members are found as if they were direct members, as in C.
 * @return SE_OK; SE_ERR_INVALID_ARG (NULL, empty path or component); SE_ERR_NOT_FOUND (no such
 *         struct, no such member, or a component that is not a struct/union);
 *         SE_ERR_UNSUPPORTED (a bitfield, in either encoding: the kind_flag struct's bitfield
 *         size, or an int member type with a bit offset or fewer bits than its size, or a
 *         member not at a whole byte);
 *         SE_ERR_FORMAT (a bad type id, a cyclic or too-deep typedef chain or nesting).
 */
se_status se_btf_offsetof(const se_btf *b, const char *struct_name, const char *path,
                          uint64_t *off);

/** Size in bytes of the struct or union called struct_name (same errors as se_btf_offsetof). */
se_status se_btf_sizeof(const se_btf *b, const char *struct_name, uint64_t *size);

void se_btf_free(se_btf *b);

#endif
