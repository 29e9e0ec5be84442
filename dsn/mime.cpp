// placeholder until implemented
#include "dsn/report.hpp"
