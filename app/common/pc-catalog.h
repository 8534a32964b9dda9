/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The three modules a profile can enable, in display order. */
typedef enum
{
  PC_MODULE_INTERNET_SECURITY,
  PC_MODULE_PRIVATE_ACCESS,
  PC_MODULE_DIGITAL_EXPERIENCE,
  PC_N_MODULES
} PcModuleKind;

#define PC_MODULE_MASK(kind) (1u << (kind))
#define PC_MODULES_IS        PC_MODULE_MASK (PC_MODULE_INTERNET_SECURITY)
#define PC_MODULES_PA        PC_MODULE_MASK (PC_MODULE_PRIVATE_ACCESS)
#define PC_MODULES_DX        PC_MODULE_MASK (PC_MODULE_DIGITAL_EXPERIENCE)
#define PC_MODULES_ALL       (PC_MODULES_IS | PC_MODULES_PA | PC_MODULES_DX)

/* Ordered from best to worst, so the worst of several is their maximum. */
typedef enum
{
  PC_SEVERITY_OK,
  PC_SEVERITY_OFF,
  PC_SEVERITY_CONNECTING,
  PC_SEVERITY_WARNING,
  PC_SEVERITY_ERROR,
  PC_SEVERITY_UNAVAILABLE,
} PcSeverity;

/* The buttons beside Status (Retry, Open Browser) or beside
 * Authentication Status (Authenticate) for one code on one module. */
typedef enum
{
  PC_ACTION_NONE         = 0,
  PC_ACTION_RETRY        = 1 << 0,
  PC_ACTION_OPEN_BROWSER = 1 << 1,
  PC_ACTION_AUTHENTICATE = 1 << 2,
} PcActions;

/* What to try next when the contextual button did not help, in order. */
typedef enum
{
  PC_STEP_END = 0,
  PC_STEP_RESTART_SERVICE,
  PC_STEP_REPAIR_APP,
  PC_STEP_LOG_OUT_AND_IN,
  PC_STEP_CHECK_NETWORK,
  PC_STEP_CONTACT_SUPPORT,
  PC_STEP_CONTACT_ADMIN,
  PC_STEP_RESTART_NORMALLY,
} PcEscalation;

#define PC_MAX_ESCALATION 4
#define PC_MAX_GUIDANCE   6

typedef struct
{
  guint       modules;  /* PC_MODULES_* this step is for; 0 for every module */
  const char *text;     /* N_(); "{support}" stands for the support contact */
} PcGuidanceStep;

typedef struct
{
  const char     *code;
  const char     *title;        /* exact vendor title, N_() */
  const char     *explanation;  /* N_() */
  PcSeverity      severity;
  guint           modules;      /* PC_MODULES_* the code can appear on */
  PcActions       actions[PC_N_MODULES];
  PcEscalation    escalation[PC_MAX_ESCALATION];
  PcGuidanceStep  guidance[PC_MAX_GUIDANCE];
} PcStatusInfo;

const PcStatusInfo *pc_catalog_get_all              (gsize              *n_entries);
const PcStatusInfo *pc_catalog_lookup               (const char         *code);
const PcStatusInfo *pc_catalog_lookup_or_unknown    (const char         *code);
gboolean            pc_catalog_is_known             (const char         *code);
char               *pc_catalog_dup_title            (const char         *code,
                                                     const char         *detail);
char               *pc_catalog_dup_explanation      (const char         *code);
GStrv               pc_catalog_dup_guidance         (const char         *code,
                                                     PcModuleKind        kind,
                                                     const char         *support_contact);
PcActions           pc_catalog_get_actions          (const char         *code,
                                                     PcModuleKind        kind);
const PcEscalation *pc_catalog_get_escalation       (const char         *code);
const char         *pc_escalation_get_label         (PcEscalation        step);

const char         *pc_module_kind_to_string        (PcModuleKind        kind);
gboolean            pc_module_kind_from_string      (const char         *name,
                                                     PcModuleKind       *kind);
const char         *pc_module_kind_get_title        (PcModuleKind        kind);

PcSeverity          pc_status_get_severity          (const char         *status,
                                                     const char         *error);
char               *pc_status_dup_title             (const char         *status,
                                                     const char         *error,
                                                     const char         *detail);
const char         *pc_severity_get_icon_name       (PcSeverity          severity);
const char         *pc_severity_to_string           (PcSeverity          severity);

G_END_DECLS
