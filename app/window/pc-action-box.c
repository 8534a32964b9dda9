/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pc-action-box.h"

/*
 * A row of buttons, right-aligned, that stacks them when they do not fit
 * side by side (a 360 px phone-sized window, large text). GtkBox cannot
 * change direction by width in GTK 4.8 and GtkFlowBox misplaces children
 * of unequal width when it is end-aligned.
 */

#define SPACING 6

struct _PcActionBox
{
  GtkWidget parent_instance;
};

static void pc_action_box_buildable_init (GtkBuildableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PcActionBox, pc_action_box, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_BUILDABLE, pc_action_box_buildable_init))

static GtkBuildableIface *parent_buildable_iface;

/* Width of the visible children side by side, at their natural size. */
static int
row_width (GtkWidget *widget,
           int       *min_single)
{
  int total = 0, count = 0;

  *min_single = 0;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      int min, nat;

      if (!gtk_widget_should_layout (child))
        continue;
      gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
      total += nat;
      *min_single = MAX (*min_single, min);
      count++;
    }

  return total + MAX (count - 1, 0) * SPACING;
}

static void
pc_action_box_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  int min_single;
  int row = row_width (widget, &min_single);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* Stacked, it needs only its widest button. */
      *minimum = min_single;
      *natural = row;
      return;
    }

  *minimum = *natural = 0;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      int min, nat;

      if (!gtk_widget_should_layout (child))
        continue;
      gtk_widget_measure (child, GTK_ORIENTATION_VERTICAL, -1, &min, &nat, NULL, NULL);
      /* Without a width, assume the narrowest: stacked. */
      if (for_size >= 0 && row <= for_size)
        {
          *minimum = MAX (*minimum, min);
          *natural = MAX (*natural, nat);
        }
      else
        {
          *minimum += (*minimum > 0 ? SPACING : 0) + min;
          *natural += (*natural > 0 ? SPACING : 0) + nat;
        }
    }
}

static GtkSizeRequestMode
pc_action_box_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
pc_action_box_size_allocate (GtkWidget *widget,
                             int        width,
                             int        height,
                             int        baseline)
{
  int min_single;
  int row = row_width (widget, &min_single);
  gboolean side_by_side = row <= width;
  int x = side_by_side ? width - row : 0;
  int y = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      int min, nat, child_height;

      if (!gtk_widget_should_layout (child))
        continue;
      gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
      gtk_widget_measure (child, GTK_ORIENTATION_VERTICAL, -1, NULL, &child_height, NULL, NULL);

      if (side_by_side)
        {
          gtk_widget_size_allocate (child, &(GtkAllocation) { x, 0, nat, height }, -1);
          x += nat + SPACING;
        }
      else
        {
          /* Stacked buttons share one width, as in a dialog. */
          gtk_widget_size_allocate (child, &(GtkAllocation) { 0, y, width, child_height }, -1);
          y += child_height + SPACING;
        }
    }
}

static void
pc_action_box_add_child (GtkBuildable *buildable,
                         GtkBuilder   *builder,
                         GObject      *child,
                         const char   *type)
{
  if (GTK_IS_WIDGET (child))
    gtk_widget_set_parent (GTK_WIDGET (child), GTK_WIDGET (buildable));
  else
    parent_buildable_iface->add_child (buildable, builder, child, type);
}

static void
pc_action_box_buildable_init (GtkBuildableIface *iface)
{
  parent_buildable_iface = g_type_interface_peek_parent (iface);
  iface->add_child = pc_action_box_add_child;
}

static void
pc_action_box_dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (pc_action_box_parent_class)->dispose (object);
}

static void
pc_action_box_class_init (PcActionBoxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pc_action_box_dispose;
  widget_class->get_request_mode = pc_action_box_get_request_mode;
  widget_class->measure = pc_action_box_measure;
  widget_class->size_allocate = pc_action_box_size_allocate;
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
pc_action_box_init (PcActionBox *self)
{
}
