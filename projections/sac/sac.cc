#include "projections/sac/sac.h"
