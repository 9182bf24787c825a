#include "projections/case_file/case_file.h"
