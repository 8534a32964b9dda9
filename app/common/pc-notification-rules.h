/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "pc-catalog.h"

G_BEGIN_DECLS

typedef enum
{
  PC_NOTIFICATION_URGENCY_LOW,
  PC_NOTIFICATION_URGENCY_NORMAL,
  PC_NOTIFICATION_URGENCY_CRITICAL,
} PcNotificationUrgency;

/* One popup to show. A later popup with the same key replaces it. */
typedef struct
{
  char                  *key;        /* a module name, "network" or "safe-mode" */
  PcModuleKind           kind;       /* the module the actions act on */
  char                  *summary;
  char                  *body;
  const char            *icon_name;
  PcNotificationUrgency  urgency;
  PcActions              actions;
} PcNotification;

/* What the client model says right now; strings are borrowed. */
typedef struct
{
  gboolean    present;       /* the service exports this module */
  const char *status;
  const char *error;
  const char *error_detail;
  const char *auth_status;
  const char *portal_url;
} PcModuleSnapshot;

typedef struct
{
  gboolean          available;
  const char       *user;           /* empty while logged out */
  const char       *network;
  const char       *support_contact;
  PcModuleSnapshot  modules[PC_N_MODULES];
} PcStateSnapshot;

/* Minimum time between two popups of one key, and how long an identical
 * popup stays suppressed (safe mode has its own, longer window). */
#define PC_NOTIFICATION_RATE_WINDOW_US       (60 * G_USEC_PER_SEC)
#define PC_NOTIFICATION_DUPLICATE_WINDOW_US  (60 * G_USEC_PER_SEC)
#define PC_NOTIFICATION_SAFE_MODE_WINDOW_US  (G_GINT64_CONSTANT (12) * 3600 * G_USEC_PER_SEC)

#define PC_TYPE_NOTIFICATION (pc_notification_get_type ())

GType           pc_notification_get_type   (void) G_GNUC_CONST;
PcNotification *pc_notification_copy       (const PcNotification *notification);
void            pc_notification_free       (PcNotification       *notification);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcNotification, pc_notification_free)

#define PC_TYPE_NOTIFICATION_RULES (pc_notification_rules_get_type ())

G_DECLARE_FINAL_TYPE (PcNotificationRules, pc_notification_rules, PC, NOTIFICATION_RULES, GObject)

PcNotificationRules *pc_notification_rules_new            (void);
void                 pc_notification_rules_set_enabled    (PcNotificationRules   *self,
                                                           gboolean               enabled);
gboolean             pc_notification_rules_get_enabled    (PcNotificationRules   *self);
GPtrArray           *pc_notification_rules_update         (PcNotificationRules   *self,
                                                           const PcStateSnapshot *state,
                                                           gint64                 now_us);
gint64               pc_notification_rules_get_next_due   (PcNotificationRules   *self);
GPtrArray           *pc_notification_rules_flush          (PcNotificationRules   *self,
                                                           gint64                 now_us);

G_END_DECLS
