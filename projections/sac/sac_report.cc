#include "projections/sac/sac_report.h"
