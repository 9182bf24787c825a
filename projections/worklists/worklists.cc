#include "projections/worklists/worklists.h"
