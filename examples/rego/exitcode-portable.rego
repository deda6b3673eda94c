package commandrun.exitcode

import rego.v1

deny contains msg if {
	input.exitcode != 0
	msg := "exitcode not 0"
}
