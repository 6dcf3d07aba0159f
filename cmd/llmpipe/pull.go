package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/hub"
)

func newPullCmd() *cobra.Command {
	var cacheDir, endpoint string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "pull hf://OWNER/REPO/FILE[@REVISION] | https://URL",
		Short: "Download a model file into the local cache and print its path",
		Long: `pull downloads one file into the local model cache and prints its path.

hf://OWNER/REPO/FILE names a file of a Hugging Face Hub repository (FILE may
contain folders; @REVISION picks a branch, tag or commit, default main). It is
fetched from ENDPOINT/OWNER/REPO/resolve/REVISION/FILE and, for files stored in
Git LFS (model weights), checked against the sha256 the Hub publishes
(X-Linked-Etag); small files kept in git are checked against their git blob
id (ETag). A plain https:// URL is downloaded as is.

The file is written to FILE.part and renamed only once complete and verified,
so the cache never holds a partial file under the final name. A broken
connection is resumed (HTTP Range) up to 3 times; an interrupted pull (Ctrl-C)
keeps the .part file and the next pull of the same name resumes it. A file
already in the cache is printed without contacting the server. A second pull
of the same name waits for the first and prints the same path.

Cache layout: CACHE/hf/OWNER/REPO/REVISION/FILE and CACHE/url/HOST/PATH, with
CACHE = --cache-dir or the user cache folder's llmpipe/models. Progress goes to
stderr, the path to stdout. Private and gated repositories (access tokens) are
not supported yet.`,
		Example: `  llmpipe pull hf://ggml-org/models/tinyllamas/stories260K.gguf
  llmpipe pull hf://TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF/tinyllama-1.1b-chat-v1.0.Q4_0.gguf
  llmpipe run --model "$(llmpipe pull hf://ggml-org/models/tinyllamas/stories260K.gguf)" --prompt "Once upon a time"
  llmpipe pull --cache-dir ./models https://example.com/files/model.gguf`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if endpoint == "" {
				endpoint = os.Getenv("HF_ENDPOINT")
			}
			opts := hub.Options{CacheDir: cacheDir, BaseURL: endpoint}
			if !quiet {
				opts.Progress = cmd.ErrOrStderr()
			}
			path, err := hub.Pull(cmd.Context(), args[0], opts)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), path)
			return err
		},
	}
	cmd.Flags().StringVar(&cacheDir, "cache-dir", "", "model cache folder (default: the user cache folder's llmpipe/models)")
	cmd.Flags().StringVar(&endpoint, "endpoint", "", "Hub address for hf:// names (default $HF_ENDPOINT, else "+hub.DefaultBaseURL+")")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print no progress")
	return cmd
}
