#include "projections/disclosure_log/disclosure_log.h"
