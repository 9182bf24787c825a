#include "projections/person_index/person_index.h"
