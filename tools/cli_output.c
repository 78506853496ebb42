/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Output helpers: JSON strings and optional colour. */
#include <string.h>

#include "cli.h"

bool cli_color = false;

const char *cli_c(const char *code)
{
    return cli_color ? code : "";
}

void cli_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s != NULL && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}
