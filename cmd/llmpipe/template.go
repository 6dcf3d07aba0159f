package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newTemplateCmd is filled in when the chat package lands.
func newTemplateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "template --from PATH",
		Short: "Render a model's chat template (HF apply_chat_template)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("chat templates are not supported yet")
		},
	}
}
