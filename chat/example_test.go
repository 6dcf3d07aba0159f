package chat_test

import (
	"fmt"

	"github.com/llmpipe/llmpipe/chat"
)

func Example() {
	const chatml = `{%- for m in messages %}{{ '<|im_start|>' + m.role + '\n' + m.content + '<|im_end|>\n' }}{% endfor %}
{%- if add_generation_prompt %}<|im_start|>assistant
{% endif %}`
	tmpl, err := chat.Parse(chatml)
	if err != nil {
		fmt.Println(err)
		return
	}
	text, err := tmpl.Render(chat.Args{
		Messages:            []chat.Message{chat.NewMessage("system", "Be brief."), chat.NewMessage("user", "Hi!")},
		AddGenerationPrompt: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", text)
	// Output: "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n"
}
